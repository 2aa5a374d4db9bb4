// The static server used by the e2e tests must behave like a real host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { DIST, serveDist } from './lib.mjs';

test('dist/ is served with the right MIME types and nothing outside it', async () => {
  const server = await serveDist();
  try {
    const files = await readdir(DIST);
    const wasm = files.find((f) => f.endsWith('.wasm'));
    assert.ok(wasm, 'dist/ holds a .wasm file');

    const res = await fetch(new URL(wasm, server.url));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/wasm');
    assert.ok(WebAssembly.validate(new Uint8Array(await res.arrayBuffer())), 'valid wasm');

    const index = await fetch(server.url);
    assert.match(index.headers.get('content-type'), /^text\/html/);
    assert.match(await index.text(), /<title>Offset Lab<\/title>/);

    const escape = await fetch(new URL('/..%2f..%2fCargo.toml', server.url));
    assert.notEqual(escape.status, 200);
  } finally {
    await server.close();
  }
});
