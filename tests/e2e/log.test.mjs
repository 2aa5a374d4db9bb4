// The log's lanes: a committed-offset label is never cut by a lane's left edge ("d 14" read as
// something else): it is scrolled into view with the work around it, or out of view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idle, screenshot, withPage } from './lib.mjs';

/** Committed labels cut by their lane's visible edges, as "partition: visible text". */
async function clippedLabels(page) {
  return page.evaluate(() => {
    const out = [];
    for (const sc of document.querySelectorAll('.lane-scroll')) {
      const edge = sc.getBoundingClientRect();
      for (const mk of sc.querySelectorAll('.mk-committed')) {
        const r = mk.getBoundingClientRect();
        if ((r.left < edge.left && r.right > edge.left + 1) || (r.left < edge.right - 1 && r.right > edge.right + 1)) {
          out.push(`${sc.closest('.lane')?.dataset.partition}: ${mk.textContent} at ${Math.round(r.left - edge.left)} px`);
        }
      }
    }
    return out;
  });
}

for (const [name, viewport] of [
  ['1280', { width: 1280, height: 800 }],
  ['390', { width: 390, height: 844 }],
]) {
  test(`many payments at ${name} px: no committed label cut by a lane's edge while it plays`, () =>
    withPage(
      async (page) => {
        await page.locator('[data-testid=counter]').waitFor();
        await idle(page);
        const clock = page.locator('[data-testid=clock]');
        const seen = [];
        // Step through the run by key moments and by events, as a student would.
        for (let i = 0; i < 40; i++) {
          await page.keyboard.press(i % 4 === 3 ? 'Shift+ArrowRight' : 'ArrowRight');
          if (i % 2 === 1) {
            await idle(page);
            const cut = await clippedLabels(page);
            if (cut.length) seen.push(`${await clock.textContent()}: ${cut.join(', ')}`);
          }
        }
        await screenshot(page, `log-${name}-many-payments`);
        assert.deepEqual(seen, []);
      },
      { path: '?scenario=many-payments', viewport },
    ));
}
