// Helpers for the end-to-end tests (run with `node --test tests/e2e/`,
// normally through `cargo xtask test`, after `trunk build --release`).
//
//   import { withPage, screenshot, expectText } from './lib.mjs';
//   test('my flow', () => withPage(async (page) => { ... }));
//
// Environment:
//   OFFSET_LAB_URL   test an already running server (e.g. http://127.0.0.1:8080/ from
//                    `cargo xtask serve`) instead of serving dist/ here
//   OFFSET_LAB_DIST  directory to serve instead of <repo>/dist
//   CHROMIUM_PATH    browser binary instead of /usr/bin/chromium

import http from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = path.resolve(process.env.OFFSET_LAB_DIST ?? path.join(ROOT, 'dist'));
export const SCREENSHOTS = path.join(ROOT, 'tests', 'e2e', 'screenshots');

// Flags for Debian's Chromium on a sandboxed machine with a closed network (see README).
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

// With `precompressed`: the copies `cargo xtask build` writes next to each file, by preference.
const ENCODED = [
  ['br', '.br'],
  ['gzip', '.gz'],
];
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.wasm', '.json', '.svg', '.txt']);

/**
 * How to send `file` to a client accepting `acceptEncoding`, with the server's `encodings`:
 * { encoding, from: the precompressed file, or null to gzip on the fly } or null.
 */
async function encodingFor(acceptEncoding, file, encodings) {
  const accepted = String(acceptEncoding ?? '')
    .split(',')
    .map((e) => e.trim().split(';')[0])
    .filter((e) => encodings.includes(e));
  for (const [encoding, ext] of ENCODED) {
    if (accepted.includes(encoding) && (await isFile(file + ext))) return { encoding, from: file + ext };
  }
  if (accepted.includes('gzip') && COMPRESSIBLE.has(path.extname(file))) return { encoding: 'gzip', from: null };
  return null;
}

async function isFile(p) {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serve `dir` (default: dist/) on 127.0.0.1 at a free port, under `prefix` (default '/': a
 * sub-path such as '/courses/kafka/offset-lab/' serves it there, and nothing outside it).
 * Unknown paths without a file extension fall back to index.html (client-side routes).
 * With `precompressed: true` it compresses like a production server: a client that accepts br or
 * gzip gets `<file>.br` or `<file>.gz` when dist/ has it (`cargo xtask build` writes them), and
 * otherwise text and wasm gzipped on the fly (level 9), with `content-encoding` and
 * `vary: accept-encoding`; `precompressed: ['gzip']` offers gzip only. Without it, every file is
 * sent as it is.
 * Resolves to { url, close() }; url ends with '/'.
 */
export async function serveDist({ dir = DIST, prefix = '/', precompressed = false } = {}) {
  if (!(await isFile(path.join(dir, 'index.html')))) {
    throw new Error(`${dir}/index.html not found: run \`trunk build --release\` first (cargo xtask test does)`);
  }
  const server = http.createServer(async (req, res) => {
    let file;
    try {
      const { pathname } = new URL(req.url, 'http://localhost');
      if (!pathname.startsWith(prefix)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      file = path.join(dir, path.normalize(decodeURIComponent(pathname.slice(prefix.length - 1))));
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (file !== dir && !file.startsWith(dir + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    if (!(await isFile(file))) {
      if (path.extname(file) === '') {
        file = path.join(dir, 'index.html');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
    }
    const encodings = precompressed === true ? ['br', 'gzip'] : precompressed || [];
    const encoded = await encodingFor(req.headers['accept-encoding'], file, encodings);
    res.writeHead(200, {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      ...(precompressed ? { vary: 'accept-encoding' } : {}),
      ...(encoded ? { 'content-encoding': encoded.encoding } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (encoded?.from) createReadStream(encoded.from).pipe(res);
    else if (encoded) createReadStream(file).pipe(createGzip({ level: 9 })).pipe(res);
    else createReadStream(file).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref(); // never keep the test process alive
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let shared; // one server per test file, reused by every withPage call
async function baseUrl() {
  if (process.env.OFFSET_LAB_URL) return process.env.OFFSET_LAB_URL;
  shared ??= serveDist();
  return (await shared).url;
}

/**
 * Record every Content-Security-Policy violation of `page`, in all its frames (iframes included)
 * and across navigations, into `problems` as text naming the directive and the blocked URI:
 * a `securitypolicyviolation` listener on each document, registered before the page's own
 * scripts run. Call it before `page.goto`, and `settleCsp(page)` before reading `problems`.
 * (Chromium also logs each violation as a console error: withPage reports those too.)
 */
export async function watchCsp(page, problems) {
  await page.exposeBinding('__olCspViolation', ({ frame }, v) => {
    const where = v.source ? ` at ${v.source}:${v.line}:${v.column}` : '';
    const sample = v.sample ? ` (${JSON.stringify(v.sample)})` : '';
    problems.push(
      `Content-Security-Policy violation in ${frame.url()}: ${v.directive} blocked ${v.blocked || '(no URI)'}${sample}${where}; policy: ${v.policy}`,
    );
  });
  await page.addInitScript(() => {
    document.addEventListener(
      'securitypolicyviolation',
      (e) =>
        window.__olCspViolation({
          directive: e.effectiveDirective || e.violatedDirective,
          blocked: e.blockedURI,
          sample: e.sample,
          source: e.sourceFile,
          line: e.lineNumber,
          column: e.columnNumber,
          policy: e.originalPolicy,
        }),
      true,
    );
  });
}

/** Let violations that are still being reported (events fire in a later task) reach `problems`. */
export async function settleCsp(page) {
  for (const frame of page.frames()) {
    await frame.evaluate(() => new Promise((r) => setTimeout(r, 0))).catch(() => {}); // a detached frame
  }
  await new Promise((r) => setTimeout(r, 50));
}

/**
 * Launch headless Chromium, open the app, run `fn(page)`, close everything.
 * The test fails if the page logs a console error, throws an uncaught error, makes a
 * request outside its own origin or violates its Content-Security-Policy (in any frame; see
 * `watchCsp`), even when `fn` itself passed. On failure a screenshot `FAILED-<n>.png` is saved
 * (unless `failureScreenshot: false`, for a test that expects the failure).
 * Options: { path: 'relative/path?query' (default ''), viewport: {width, height},
 *            base: the URL `path` is relative to (default: dist/ served here, or OFFSET_LAB_URL) }.
 */
export async function withPage(
  fn,
  { path: urlPath = '', viewport = { width: 1280, height: 800 }, base, failureScreenshot = true } = {},
) {
  const url = new URL(urlPath, base ?? (await baseUrl())).href;
  const browser = await launchChromium();
  const errors = [];
  try {
    const page = await browser.newPage({ viewport });
    page.on('pageerror', (err) => errors.push(`uncaught: ${err.stack ?? err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const csp = /Content Security Policy/i.test(msg.text()) ? 'Content-Security-Policy, ' : '';
      errors.push(`${csp}console.error: ${msg.text()}`);
    });
    await watchCsp(page, errors);
    // No network access from the page: every request must stay on the page's own origin.
    const origin = new URL(url).origin;
    page.on('request', (req) => {
      const u = req.url();
      if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) {
        errors.push(`request outside the page's origin: ${u}`);
      }
    });
    await page.goto(url);
    try {
      await replaced(page);
      await fn(page);
    } catch (err) {
      if (failureScreenshot) await screenshot(page, `FAILED-${Date.now()}`).catch(() => {});
      throw err;
    }
    await settleCsp(page);
    if (errors.length > 0) {
      if (failureScreenshot) await screenshot(page, `FAILED-${Date.now()}`).catch(() => {});
      throw new Error(`the page reported errors:\n  ${errors.join('\n  ')}`);
    }
  } finally {
    await browser.close();
  }
}

/** Debian's Chromium (or CHROMIUM_PATH), headless, with CHROMIUM_ARGS. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/**
 * Wait until the app has replaced the first screens prerendered into the page at build time
 * (xtask/prerender.mjs: `#ol-prerendered`, or `.ol-prerendered` in a course page's element):
 * until then the page holds two copies of each playground, the prerendered one inert. `withPage`
 * waits for it after opening the page; call it after a reload or another navigation.
 */
export async function replaced(page, { timeout = 20000 } = {}) {
  await page.waitForFunction(() => !document.querySelector('#ol-prerendered, .ol-prerendered'), null, { timeout });
}

/**
 * Wait until the page's worker has answered every message (`<html data-ol-pending="0">`) and the
 * answer is drawn (two animation frames). Call it after an action, before reading the page.
 */
export async function idle(page, { timeout = 10000 } = {}) {
  await page.waitForFunction(() => document.documentElement.dataset.olPending === '0', null, { timeout });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Save a full-page PNG to tests/e2e/screenshots/<name>.png and return its path. */
export async function screenshot(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Wait until the first element matching `selector` has exactly the text `expected`. */
export async function expectText(page, selector, expected, { timeout = 5000 } = {}) {
  try {
    await page.waitForFunction(
      ([sel, exp]) => document.querySelector(sel)?.textContent === exp,
      [selector, expected],
      { timeout },
    );
  } catch {
    const actual = await page.locator(selector).first().textContent({ timeout: 100 }).catch(() => null);
    throw new Error(`expected ${selector} to read ${JSON.stringify(expected)}, it reads ${JSON.stringify(actual)}`);
  }
}
