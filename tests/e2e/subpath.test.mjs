// Hosting under a sub-path: `trunk build --release --public-url /courses/kafka/offset-lab/`
// gives a dist/ that works there, the app and the course page alike (README: "Embedding in a
// course"). Builds into a temporary directory (trunk must be on PATH, as `cargo xtask test`
// puts it), finished as `cargo xtask build` does (prerendered first screens, policy, compressed
// copies); skipped against an already running server (OFFSET_LAB_URL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, expectText, idle, serveDist, withPage } from './lib.mjs';

const PREFIX = '/courses/kafka/offset-lab/';

function trunkAvailable() {
  try {
    execFileSync('trunk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const skip = process.env.OFFSET_LAB_URL ? 'OFFSET_LAB_URL is set' : !trunkAvailable() && 'trunk is not on PATH';

test(`a build for ${PREFIX} works there: the app, a link, the course page`, { skip }, async () => {
  const dist = await mkdtemp(path.join(os.tmpdir(), 'offset-lab-subpath-'));
  try {
    execFileSync('trunk', ['build', '--release', '--public-url', PREFIX, '--dist', dist], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 15 * 60 * 1000,
    });
    // What `cargo xtask build` adds: the first screens prerendered (served under the sub-path),
    // its Content-Security-Policy (trunk's bootstrap names the sub-path, so its hash is not the
    // one of dist/), the compressed copies.
    execFileSync('cargo', ['xtask', 'finish', dist], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const server = await serveDist({ dir: dist, prefix: PREFIX });
    try {
      await withPage(async (page) => {
        const workers = [];
        page.on('worker', (w) => workers.push(new URL(w.url()).pathname));
        await page.reload({ waitUntil: 'domcontentloaded' });
        assert.ok(await page.evaluate(() => document.getElementById('ol-prerendered') !== null), 'the first screen, prerendered');
        await page.waitForFunction(() => document.getElementById('ol-prerendered') === null);
        await idle(page);
        assert.deepEqual(workers, [`${PREFIX}offset-lab-worker_loader.js`], 'one worker, started next to the bundle');
      }, { base: server.url });
      await withPage(async (page) => {
        await expectText(page, '[data-testid=clock]', '00:03.000');
        assert.equal(await page.locator('meta[http-equiv="Content-Security-Policy"]').count(), 1, 'under its policy');
        assert.equal(new URL(page.url()).pathname, PREFIX, 'the link stays under the sub-path');
      }, { base: server.url, path: '?v=1&preset=step2-manual-commit&t=3000' });
      await withPage(async (page) => {
        await page.locator('[data-offset-lab] [data-testid=counter]').nth(1).waitFor();
        assert.equal(await page.locator('meta[http-equiv="Content-Security-Policy"]').count(), 1, 'under its policy');
        await page.frameLocator('iframe.offset-lab').locator('[data-testid=counter]').waitFor();
        await page.waitForFunction(() => document.querySelector('iframe.offset-lab').clientHeight > 300);
      }, { base: server.url, path: 'course.html' });
    } finally {
      await server.close();
    }
  } finally {
    await rm(dist, { recursive: true, force: true });
  }
});
