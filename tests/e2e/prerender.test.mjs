// The first screen prerendered into dist/index.html at build time (xtask/prerender.mjs) is the
// screen the app then draws: every element in the same place, at 1280 px and at 390 px, and
// nothing on screen moves when the app replaces it (no layout shift). A link to another moment
// never shows it. The same for the playgrounds of the example course and instructor pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DIST, idle, launchChromium, screenshot, serveDist, withPage } from './lib.mjs';

const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

/**
 * Every element of the playground in `scope` on the first screen (document order), with its box
 * cut at the bottom of the window: below it, the prerendered screen is laid out only when
 * scrolled to (content-visibility), so its height there is an estimate.
 */
function boxes(scope) {
  const root = document.querySelector(`${scope} .ol`);
  if (!root) return null;
  return [root, ...root.querySelectorAll('*')]
    .map((el) => {
      const r = el.getBoundingClientRect();
      const cls = typeof el.className === 'string' ? el.className : el.getAttribute('class') ?? '';
      const h = Math.min(r.bottom, window.innerHeight) - r.y;
      return { what: `${el.tagName.toLowerCase()}.${cls.trim().split(/\s+/).join('.')}`, x: r.x, y: r.y, w: r.width, h };
    })
    .filter((b) => b.w > 0 && b.h > 0);
}

/** Records the layout shifts the page reports, from navigation on (installed before its scripts). */
function recordShifts() {
  window.__shifts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.__shifts.push({ value: e.value, t: Math.round(e.startTime), sources: (e.sources ?? []).map((s) => [s.node?.className ?? s.node?.nodeName ?? "?", s.node?.closest?.("#ol-app,#ol-prerendered")?.id, JSON.stringify(s.previousRect), JSON.stringify(s.currentRect), document.getElementById("ol-prerendered") ? "pre-there" : "pre-gone"]) });
    }
  }).observe({ type: 'layout-shift', buffered: true });
}

async function open(browser, url, viewport, { blockWasm }) {
  const page = await browser.newPage({ viewport });
  if (blockWasm) await page.route('**/*.wasm', (route) => route.abort());
  await page.addInitScript(recordShifts);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return page;
}

/**
 * dist/ as serveDist serves it, but the page itself arrives in two pieces, 400 ms apart, cut in
 * the middle of the prerendered screen, as a slow network delivers it: the browser paints what it
 * has meanwhile.
 */
async function serveInPieces() {
  const inner = await serveDist();
  const page = await readFile(path.join(DIST, 'index.html'), 'utf8');
  const cut = page.indexOf('class="a-cards"');
  assert.ok(cut > 0, 'the prerendered screen has its consumer cards');
  const server = http.createServer(async (req, res) => {
    if (new URL(req.url, 'http://localhost').pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.write(page.slice(0, cut));
      setTimeout(() => res.end(page.slice(cut)), 400);
      return;
    }
    const upstream = await fetch(new URL(req.url, inner.url));
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await inner.close();
    },
  };
}

test('dist/index.html carries the first screen, prerendered, with its inline script under the policy', async () => {
  const html = await readFile(path.join(DIST, 'index.html'), 'utf8');
  assert.match(html, /<div id="ol-prerendered" inert aria-hidden="true" hidden><div class="ol/, 'the prerendered screen');
  assert.match(html, /<div id="ol-prerendered"[\s\S]*class="timebar[\s\S]*<div id="?ol-app"?><\/div>/, 'before the app mounts');
  assert.match(html, /Content-Security-Policy[^>]*script-src[^>]*'sha256-/, 'the inline script is allowed by its hash');
});

for (const viewport of VIEWPORTS) {
  test(`${viewport.width} px: the prerendered first screen is laid out exactly as the app draws it, and nothing shifts`, async () => {
    const server = await serveInPieces();
    const browser = await launchChromium();
    try {
      // Without the wasm: the prerendered screen is all there is.
      const still = await open(browser, server.url, viewport, { blockWasm: true });
      await still.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const before = await still.evaluate(boxes, '#ol-prerendered');
      assert.ok(before && before.length > 50, `the prerendered screen shows (${before?.length ?? 0} elements on screen)`);
      assert.ok(
        await still.evaluate(() => document.querySelector('#ol-prerendered .timebar [data-testid=counter]')?.textContent),
        'its time bar has its counter',
      );
      // Its controls do nothing yet, and a note out of the flow says so.
      const note = await still.evaluate(() => {
        const cs = getComputedStyle(document.querySelector('#ol-prerendered > .ol'), '::after');
        return { content: cs.content, position: cs.position };
      });
      assert.deepEqual(note, { content: '"Starting the simulator…"', position: 'fixed' }, 'the note on the prerendered screen');
      await screenshot(still, `prerendered-${viewport.width}`);

      // With it: the app draws its own first screen and the prerendered one goes.
      const live = await open(browser, server.url, viewport, { blockWasm: false });
      assert.ok(await live.evaluate(() => document.getElementById('ol-prerendered') !== null), 'shown while the wasm loads');
      await live.waitForFunction(() => document.getElementById('ol-prerendered') === null, null, { timeout: 30_000 });
      await idle(live);
      const after = await live.evaluate(boxes, '#ol-app');
      await screenshot(live, `prerendered-then-app-${viewport.width}`);

      const moved = differences(before, after);
      assert.deepEqual(moved.slice(0, 8), [], `${moved.length} elements differ between the prerendered and the drawn screen`);

      const shifts = await live.evaluate(() => window.__shifts);
      const cls = shifts.reduce((s, e) => s + e.value, 0);
      console.log(`# prerender ${viewport.width} px: ${before.length} elements on the first screen, layout shift ${cls.toFixed(4)}`);
      assert.ok(cls < 0.001, `the screen moved while loading (cumulative layout shift ${cls}): ${JSON.stringify(shifts)}`);
    } finally {
      await browser.close();
      await server.close();
    }
  });
}

/** Every element of each playground of a course page on screen, its box relative to the playground's. */
function elementBoxes(inner) {
  return [...document.querySelectorAll('[data-offset-lab]')].map((el) => {
    const root = el.querySelector(inner);
    if (!root) return null;
    const o = root.getBoundingClientRect();
    return [root, ...root.querySelectorAll('*')]
      .map((e) => {
        const r = e.getBoundingClientRect();
        const cls = typeof e.className === 'string' ? e.className : e.getAttribute('class') ?? '';
        return { what: `${e.tagName.toLowerCase()}.${cls.trim().split(/\s+/).join('.')}`, x: r.x - o.x, y: r.y - o.y, w: r.width, h: r.height };
      })
      .filter((b) => b.w > 0 && b.h > 0);
  });
}

/** The boxes of `after` that are not where `before` had them (more than 1 px off), in words. */
function differences(before, after) {
  const moved = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    const [a, b] = [before[i], after[i]];
    if (!a || !b || a.what !== b.what) {
      moved.push(`#${i}: ${a?.what ?? 'nothing'} prerendered, ${b?.what ?? 'nothing'} drawn`);
      break; // the rest is out of step
    }
    const off = Math.max(...['x', 'y', 'w', 'h'].map((k) => Math.abs(a[k] - b[k])));
    if (off > 1) moved.push(`${a.what} at ${[a.x, a.y, a.w, a.h].map(Math.round)} → ${[b.x, b.y, b.w, b.h].map(Math.round)}`);
  }
  return moved;
}

for (const [page, count] of [
  ['course.html', 2],
  ['instructor.html', 3], // a file, a scenario inline (after which it goes), a link
]) {
  test(`${page}: its playgrounds' first screens are prerendered, laid out as each playground then draws it`, async () => {
    const html = await readFile(path.join(DIST, page), 'utf8');
    assert.equal([...html.matchAll(/<div class="ol-prerendered" inert aria-hidden="true"><div class="ol/g)].length, count);
    const server = await serveDist();
    const browser = await launchChromium();
    try {
      const viewport = { width: 1280, height: 800 };
      const still = await open(browser, server.url + page, viewport, { blockWasm: true });
      const before = await still.evaluate(elementBoxes, '.ol-prerendered .ol');
      assert.equal(before.filter(Boolean).length, count, 'prerendered playgrounds shown without the wasm');

      const live = await open(browser, server.url + page, viewport, { blockWasm: false });
      await live.waitForFunction(() => !document.querySelector('.ol-prerendered'), null, { timeout: 30_000 });
      await idle(live);
      const after = await live.evaluate(elementBoxes, '.ol');
      before.forEach((b, i) => {
        assert.ok(b, `playground ${i + 1} of ${page} prerendered`);
        assert.deepEqual(differences(b, after[i]).slice(0, 8), [], `playground ${i + 1} of ${page}`);
      });
      console.log(`# prerender ${page}: ${before.filter(Boolean).map((b) => `${b.length} elements`).join(', ')} in place`);
    } finally {
      await browser.close();
      await server.close();
    }
  });
}

test("course.html's iframe: its link's first screen, fetched, shows before the wasm at its final height, laid out as the app then draws it", async () => {
  const frames = (await readdir(path.join(DIST, 'first-screens'))).filter((f) => f.endsWith('.html'));
  assert.equal(frames.length, 1, 'one framed link in the site (course.html)');
  const server = await serveDist();
  const browser = await launchChromium();
  // The iframe's playground (same origin: the page can read it) and the iframe's height.
  const framed = async (page, scope) => {
    const frame = page.frames().find((f) => f.url().includes('embed=1'));
    const height = await page.evaluate(() => document.querySelector('iframe.offset-lab').getBoundingClientRect().height);
    return { boxes: await frame.evaluate(boxes, scope), height };
  };
  try {
    const viewport = { width: 1280, height: 800 };
    const still = await open(browser, server.url + 'course.html', viewport, { blockWasm: true });
    await still.waitForFunction(
      () => document.querySelector('iframe.offset-lab').contentDocument?.querySelector('#ol-prerendered:not([hidden]) .ol .timebar'),
      null,
      { timeout: 10_000 },
    );
    await still.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const before = await framed(still, '#ol-prerendered');
    assert.ok(before.boxes.length > 50, `the framed link's screen shows (${before.boxes.length} elements)`);
    assert.notEqual(Math.round(before.height), 762, 'the frame took the height the prerendered screen reported (not its 760 px default)');

    const live = await open(browser, server.url + 'course.html', viewport, { blockWasm: false });
    await live.waitForFunction(
      () => {
        const doc = document.querySelector('iframe.offset-lab').contentDocument;
        return doc && !doc.getElementById('ol-prerendered') && doc.querySelector('#ol-app .ol .timebar') && doc.documentElement.dataset.olPending === '0';
      },
      null,
      { timeout: 30_000 },
    );
    await live.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    const after = await framed(live, '#ol-app');
    assert.deepEqual(differences(before.boxes, after.boxes).slice(0, 8), [], 'the framed playground');
    assert.ok(Math.abs(before.height - after.height) <= 1, `the frame keeps its height: ${before.height} px prerendered, ${after.height} px drawn`);
    console.log(`# prerender course.html's iframe: ${before.boxes.length} elements in place, ${Math.round(after.height)} px tall`);
  } finally {
    await browser.close();
    await server.close();
  }
});

test('a link to another moment never shows the prerendered screen; the same link again does', () =>
  withPage(async (page) => {
    await idle(page);
    const link = await page.evaluate(() => location.search);
    assert.ok(link.startsWith('?v=1'), `the app wrote its link (${link})`);
    for (const [query, shown] of [
      [link, true],
      ['?v=1&preset=step2-manual-commit', false],
      ['?embed=1', false], // not a link the site frames the app with: no first screen of its own
    ]) {
      await page.goto(new URL(query, page.url()).href, { waitUntil: 'domcontentloaded' });
      const there = await page.evaluate(() => document.getElementById('ol-prerendered') !== null);
      assert.equal(there, shown, `${query}: prerendered screen ${shown ? 'shown' : 'removed before the first paint'}`);
      await idle(page);
      assert.equal(await page.evaluate(() => document.getElementById('ol-prerendered')), null, `${query}: gone once drawn`);
    }
  }));
