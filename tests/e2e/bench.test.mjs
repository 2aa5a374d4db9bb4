// Benchmarks, printed for review (not pass/fail timings):
//   - the release bundle's gzipped size (wasm + js + css of dist/);
//   - how long one step takes to re-render with 1,000 payments on screen, from the key press
//     to the end of the render (the app's own `ol-step` performance measure), and to the next
//     painted frame (measured here with requestAnimationFrame).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DIST, idle, screenshot, withPage } from './lib.mjs';

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, median: at(0.5), p95: at(0.95), max: s.at(-1) };
}

const fmt = ({ n, median, p95, max }) => `median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${max.toFixed(2)} ms (n=${n})`;

test('bundle size (gzip -9 of dist/ wasm + js + css)', async () => {
  const files = (await readdir(DIST)).filter((f) => /\.(wasm|js|css)$/.test(f));
  let total = 0;
  for (const f of files) {
    const raw = await readFile(path.join(DIST, f));
    const gz = gzipSync(raw, { level: 9 }).length;
    total += gz;
    console.log(`# bundle ${f.replace(/-[0-9a-f]{16}/, '')}: ${kib(raw.length)} raw, ${kib(gz)} gzipped`);
  }
  console.log(`# bundle total: ${kib(total)} gzipped (page and worker together; the bundle-size stage checks each against its budget)`);
  assert.ok(files.some((f) => f.endsWith('.wasm')));
});

test('step re-render with 1,000 payments on screen', () =>
  withPage(
    async (page) => {
      await page.locator('.lane .cell[data-p]').first().waitFor({ state: 'attached' });
      await idle(page);
      // 1,000 payments in 4 partitions: each lane draws a window of 120 cells and sums up the
      // rest in range cells that say how many payments are in each state.
      assert.equal(await page.locator('.lane .cell[data-p]').count(), 4 * 120);
      const ranges = await page.locator('.lane .cell.range').evaluateAll((els) => els.map((e) => e.getAttribute('title')));
      assert.ok(ranges.length >= 4, `each lane has a range: ${ranges.length}`);
      const counted = ranges.flatMap((t) => [...t.matchAll(/(\d+) [a-z]/g)].map((m) => Number(m[1]))).reduce((a, b) => a + b, 0);
      assert.equal(counted + 4 * 120, 1000, `every payment is drawn or counted: ${ranges.join(' | ')}`);
      // Warm up, then measure steps of one event (Shift+→ would reach the run's few key moments
      // and then its end, where a key changes nothing).
      for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
      await page.evaluate(() => performance.clearMeasures('ol-step'));
      const frames = [];
      for (let i = 0; i < 60; i++) {
        // Time to the next painted frame, from inside the page.
        const ms = await page.evaluate(
          () =>
            new Promise((resolve) => {
              const t0 = performance.now();
              document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true, cancelable: true }));
              requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
            }),
        );
        frames.push(ms);
      }
      const renders = await page.evaluate(() => performance.getEntriesByName('ol-step').map((e) => e.duration));
      assert.ok(renders.length >= 50, `expected ol-step measures, got ${renders.length}`);
      console.log(`# step re-render, 1,000 payments (key → render done): ${fmt(stats(renders))}`);
      console.log(`# step to next painted frame, 1,000 payments (incl. layout/paint + rAF wait): ${fmt(stats(frames))}`);
      await screenshot(page, 'many-payments-1280');

      // Playback: frame-to-frame intervals while playing at ×10 for two seconds.
      await page.keyboard.press('Home');
      await page.getByLabel('Playback speed').selectOption({ label: '×10' });
      await page.getByLabel('pause at key moments').uncheck();
      const intervals = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const out = [];
            let last = null;
            const t0 = performance.now();
            document.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true, cancelable: true }));
            const tick = (now) => {
              if (last !== null) out.push(now - last);
              last = now;
              if (now - t0 < 2000) requestAnimationFrame(tick);
              else resolve(out);
            };
            requestAnimationFrame(tick);
          }),
      );
      const clockAfter = await page.locator('[data-testid=clock]').textContent();
      console.log(`# playback ×10, 1,000 payments: frame interval ${fmt(stats(intervals))}; long frames (>50 ms): ${intervals.filter((x) => x > 50).length}; clock reached ${clockAfter}`);
      assert.notEqual(clockAfter, '00:00.000');
    },
    { path: '?scenario=many-payments' },
  ));
