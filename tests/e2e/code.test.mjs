// The program can be read: at 1280 px every line of every preset's program is whole (a long
// line wraps under its own text instead of being cut), and at 360 px the code view still fits
// the screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idle, screenshot, withPage } from './lib.mjs';

/** Lines of the code view whose text is cut (wider than the box it is drawn in). */
const cut = (page) =>
  page.evaluate(() => {
    const view = document.querySelector('.code-lines');
    const out = [];
    if (view.scrollWidth > view.clientWidth + 1) out.push(`the code view scrolls (${view.scrollWidth} > ${view.clientWidth})`);
    for (const line of document.querySelectorAll('.code-lines .line .txt')) {
      if (line.scrollWidth > line.clientWidth + 1) out.push(line.textContent);
    }
    return out;
  });

for (const width of [1280, 360]) {
  test(`every preset's program is whole at ${width} px`, () =>
    withPage(
      async (page) => {
        const picker = page.getByLabel('Scenario', { exact: true });
        await picker.waitFor();
        await idle(page);
        const presets = await picker.locator('option:not([disabled])').evaluateAll((os) => os.map((o) => o.value));
        assert.ok(presets.length > 20, `the picker lists the presets (${presets.length})`);
        const problems = [];
        let longest = 0;
        for (const name of presets) {
          await picker.selectOption(name);
          await idle(page);
          const code = page.getByRole('button', { name: 'Code', exact: true });
          if (await code.count()) await code.first().click();
          await page.locator('.code-lines').waitFor();
          for (const line of await cut(page)) problems.push(`${name}: ${line}`);
          longest = Math.max(longest, ...(await page.locator('.code-lines .line').evaluateAll((ls) => ls.map((l) => l.textContent.length))));
        }
        assert.deepEqual(problems, [], 'lines cut');
        assert.ok(longest > 60, 'some lines are long enough to need wrapping');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `the page does not scroll sideways (${overflow}px)`);
        await page.locator('.panel.code').screenshot({ path: `tests/e2e/screenshots/code-${width}.png` }).catch(() => {});
        if (width === 360) await screenshot(page, 'code-360');
      },
      { viewport: { width, height: 900 } },
    ));
}
