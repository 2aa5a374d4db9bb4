// Load benchmark, printed for review (`# load …` lines; no timing is asserted): how long the
// release site in dist/ takes to show something and to become usable, loaded RUNS times under a
// phone profile (CPU ×4, 150 ms latency, 1.6 Mbps, as Lighthouse's mobile preset) and RUNS times
// without throttling, each time with the cache disabled. dist/ is served compressed with
// ENCODING, as a production server would: its precompressed copies when it has them (`cargo
// xtask build` and `cargo xtask test` write them), gzip on the fly otherwise.
//
//   FCP          first contentful paint (the browser's paint timing)
//   drawn        the app's own controls and drawing are on screen (not the prerendered ones):
//                READY.controls and READY.drawing inside READY.root, checked every animation frame from navigation start, and
//                painted (the time of the next frame)
//   interactive  from then, a key press (READY.key, repeated each frame until it works)
//                changes READY.responds
//
// It also prints when each wasm's last byte arrived (the page's and the worker's: the app
// answers only once both have), and, throttled, how long the bytes alone take at the profile's
// bandwidth: no load of this page can be interactive sooner.
//
// CPU throttling (CDP Emulation.setCPUThrottlingRate) slows the page's main thread only:
// Chromium (156) refuses it for Web Workers ("only supported for pages, not workers"), so work
// done in a worker runs at this machine's full speed even in the phone profile; the output says
// when the page started workers. Network throttling applies to the workers' requests too.
//
// Run alone: `cargo xtask build && node --test tests/e2e/load.test.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, DIST, serveDist, settleCsp, watchCsp } from './lib.mjs';

/** What the page must show to count as interactive; adjust here when the app's DOM changes. */
const READY = {
  // The app's own playground, not the first screen prerendered into index.html (#ol-prerendered),
  // which shows earlier and is what the first contentful paint measures.
  root: '#ol-app .ol',
  controls: '#ol-app .ol .timebar [data-testid=counter]', // the time bar's "event N of M"
  drawing: '#ol-app .ol .lane .cell[data-p]', // a payment in the log's lanes: the run is drawn
  key: 'ArrowRight', // steps one event…
  responds: '#ol-app .ol [data-testid=counter]', // …so this text changes
};
const RUNS = 5;
/** The two wasm files, whose arrival the benchmark prints. */
const WASM = { "page's wasm in": '/offset-lab-web_bg.wasm', "worker's wasm in": '/offset-lab-worker_bg.wasm' };
/** 'gzip' (what every server can do), or 'br' (nginx with brotli_static, Caddy). */
const ENCODING = 'gzip';
const PROFILES = [
  {
    name: 'phone',
    what: 'CPU ×4, 150 ms latency, 1.6 Mbps down and up, 375×800 px, cache disabled',
    context: { viewport: { width: 375, height: 800 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
    throttle: { cpu: 4, latency: 150, bytesPerSecond: 200_000 },
  },
  {
    name: 'unthrottled',
    what: 'no throttling, 1280×800 px, cache disabled',
    context: { viewport: { width: 1280, height: 800 } },
    throttle: null,
  },
];

/** Installed before any of the page's scripts: records the moments into window.__olLoad. */
function probe(ready) {
  const load = { drawn: null, interactive: null, fcp: null };
  let found = false;
  window.__olLoad = load;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') load.fcp = e.startTime;
  }).observe({ type: 'paint', buffered: true });
  const q = (sel) => document.querySelector(sel);
  let before = null;
  const press = () => document.dispatchEvent(new KeyboardEvent('keydown', { key: ready.key, bubbles: true, cancelable: true }));
  const tick = () => {
    if (!found) {
      // In the DOM now, so painted in this frame: the next frame's callback runs after that paint.
      found = Boolean(q(ready.root) && q(ready.controls) && q(ready.drawing));
    } else if (load.drawn === null) {
      load.drawn = performance.now();
      before = q(ready.responds)?.textContent;
      press();
    } else if (q(ready.responds)?.textContent !== before) {
      load.interactive = performance.now();
      return;
    } else {
      press(); // the app may listen for keys only once it has drawn: press again each frame
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

async function loadOnce(browser, url, profile) {
  const context = await browser.newContext(profile.context);
  try {
    const page = await context.newPage();
    const errors = [];
    let workers = 0;
    page.on('worker', () => workers++);
    // Every response, the workers' too: [bytes over the network, when its last byte arrived (epoch ms), file].
    const responses = [];
    page.on('requestfinished', (req) =>
      responses.push(
        req.sizes().then((sz) => {
          const t = req.timing();
          return [sz.responseBodySize + sz.responseHeadersSize, t.startTime + t.responseEnd, new URL(req.url()).pathname];
        }),
      ),
    );
    page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
    page.on('console', (msg) => msg.type() === 'error' && errors.push(`console.error: ${msg.text()}`));
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (profile.throttle) {
      const { cpu, latency, bytesPerSecond } = profile.throttle;
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency,
        downloadThroughput: bytesPerSecond,
        uploadThroughput: bytesPerSecond,
      });
    }
    await watchCsp(page, errors);
    await page.addInitScript(probe, READY);
    await page.goto(url, { waitUntil: 'commit' });
    const handle = await page
      .waitForFunction(() => window.__olLoad.interactive !== null && window.__olLoad.fcp !== null && window.__olLoad, null, {
        timeout: 20_000,
        polling: 100,
      })
      .catch(async (err) => {
        // Say what never happened: a selector in READY that no longer matches the app, most likely.
        const why = await page.evaluate((ready) => {
          const missing = ['root', 'controls', 'drawing'].filter((k) => !document.querySelector(ready[k]));
          if (missing.length) return `no element matches ${missing.map((k) => `READY.${k} (${ready[k]})`).join(', ')}`;
          if (window.__olLoad.interactive === null) return `${ready.key} never changed READY.responds (${ready.responds})`;
          return 'no first-contentful-paint entry';
        }, READY);
        throw new Error(`the page did not become interactive in 20 s: ${why}; ${errors.join('; ')}`, { cause: err });
      });
    const load = await handle.jsonValue();
    // Bytes over the network (compressed, with headers) and when the last of them arrived.
    const origin = await page.evaluate(() => performance.timeOrigin);
    const done = (await Promise.all(responses)).filter(([bytes, end]) => bytes >= 0 && Number.isFinite(end));
    load.transferred = done.reduce((sum, [bytes]) => sum + bytes, 0);
    load.downloaded = Math.max(...done.map(([, end]) => end)) - origin;
    // When each wasm's last byte arrived: the page's, and the simulation worker's.
    for (const [key, file] of Object.entries(WASM)) {
      const ends = done.filter(([, , p]) => p.endsWith(file)).map(([, end]) => end - origin);
      load[key] = ends.length ? Math.max(...ends) : null;
    }
    await settleCsp(page);
    assert.deepEqual(errors, [], 'the page reported errors');
    return { ...load, workers };
  } finally {
    await context.close();
  }
}

const ms = (x) => `${Math.round(x)} ms`;
function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return `median ${ms(median)} (${ms(s[0])}–${ms(s.at(-1))})`;
}

test(`load: first contentful paint and time to interactive, ${RUNS} loads per profile`, { timeout: 120_000 }, async () => {
  const files = await readdir(DIST);
  const suffix = { gzip: '.gz', br: '.br' }[ENCODING];
  const precompressed = files.some((f) => f.endsWith(`.wasm${suffix}`));
  const server = await serveDist({ precompressed: [ENCODING] });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    console.log(
      `# load serving dist/ over http://127.0.0.1 with ${ENCODING}: ${
        precompressed
          ? `the precompressed ${suffix} files`
          : `${ENCODING === 'gzip' ? 'gzip on the fly' : 'uncompressed'} (no ${suffix} in dist/: \`cargo xtask build\` writes them)`
      }`,
    );
    console.log(`# load interactive = ${READY.controls} and ${READY.drawing} on screen, then ${READY.key} changes ${READY.responds}`);
    await loadOnce(browser, server.url, PROFILES[1]); // warm-up (the browser, the OS's file cache), not counted
    for (const profile of PROFILES) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await loadOnce(browser, server.url, profile);
        for (const k of ['fcp', 'drawn', 'interactive', 'transferred', 'downloaded']) {
          assert.equal(typeof r[k], 'number', `${k} is a number`);
          assert.ok(Number.isFinite(r[k]) && r[k] >= 0, `${k} = ${r[k]}`);
        }
        runs.push(r);
      }
      const kib = (runs[0].transferred / 1024).toFixed(0);
      const workers = Math.max(...runs.map((r) => r.workers));
      const note = workers && profile.throttle ? `; ${workers} Web Worker(s), not CPU-throttled` : '';
      console.log(`# load ${profile.name} (${profile.what}; ${kib} KiB transferred${note}), ${RUNS} loads:`);
      if (profile.throttle) {
        // What the bandwidth alone allows: every byte of the page, at the profile's rate, with no latency.
        const floor = (runs[0].transferred / profile.throttle.bytesPerSecond) * 1000;
        console.log(`# load ${profile.name}   the bytes alone take    ${ms(floor)} at ${(profile.throttle.bytesPerSecond * 8) / 1e6} Mbps`);
      }
      for (const [key, file] of Object.entries(WASM)) {
        const at = runs.map((r) => r[key]).filter((x) => x !== null);
        if (at.length) console.log(`# load ${profile.name}   ${key.padEnd(23)} ${summary(at)} (${file.slice(1)}: its last byte)`);
      }
      console.log(`# load ${profile.name}   last byte downloaded    ${summary(runs.map((r) => r.downloaded))}`);
      console.log(`# load ${profile.name}   first contentful paint  ${summary(runs.map((r) => r.fcp))}`);
      console.log(`# load ${profile.name}   controls and drawing    ${summary(runs.map((r) => r.drawn))}`);
      console.log(`# load ${profile.name}   interactive (responds)  ${summary(runs.map((r) => r.interactive))}`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
});
