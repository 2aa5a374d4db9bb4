// The rule ids the playground cites (B5, C2, F.1 …) each open their glossary entry
// (docs/semantics.md, served as semantics.md): none is left as bare text in the callout, the
// narration, the lab panel or a payment's story, and every one resolves to an entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idle, screenshot, withPage } from './lib.mjs';

/** Rule ids written in `selector`'s text outside a rule button. */
const bare = (page, selector) =>
  page.evaluate((sel) => {
    const out = [];
    for (const root of document.querySelectorAll(sel)) {
      const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        if (n.parentElement.closest('[data-rule], code, .code-lines')) continue;
        for (const m of n.textContent.matchAll(/(?<![A-Za-z0-9#])[A-F]\.?\d+(?:\.\d+)?(?![A-Za-z0-9])/g)) out.push(m[0]);
      }
    }
    return out;
  }, selector);

for (const [preset, width] of [
  ['step1-autocommit-sleep7', 1280],
  ['pitfall-close-in-finally', 1280],
  ['step2-manual-commit', 390],
]) {
  test(`${preset} at ${width} px: every rule id cited opens its glossary entry`, () =>
    withPage(
      async (page) => {
        await page.locator('[data-testid=counter]').waitFor();
        await idle(page);
        // Through the key moments to the end, with every event narrated.
        for (let i = 0; i < 3; i++) {
          await page.keyboard.press('Shift+ArrowRight');
          await idle(page);
        }
        const texts = '.callout, .narration, .lab, .detail';
        assert.deepEqual(await bare(page, texts), [], 'rule ids outside a button, at a key moment');
        await page.keyboard.press('End');
        await idle(page);
        const events = page.locator('.tabs .tab:visible', { hasText: 'Events' });
        if (await events.count()) {
          await events.first().click();
          await idle(page);
        }
        const everything = page.getByRole('button', { name: 'Everything', exact: true });
        if (await everything.count()) {
          await everything.first().click();
          await idle(page);
        }
        assert.deepEqual(await bare(page, texts), [], 'rule ids outside a button, at the end');
        const ids = [...new Set(await page.locator('[data-rule]').evaluateAll((bs) => bs.filter((b) => b.checkVisibility()).map((b) => b.dataset.rule)))];
        assert.ok(ids.length >= 3, `rules cited: ${ids}`);
        for (const id of ids) {
          await page.locator(`[data-rule="${id}"]:visible`).first().click();
          const title = page.locator('.glossary .rule-title');
          await title.waitFor();
          assert.ok((await title.textContent()).startsWith(`${id} — `), `${id}: ${await page.locator('.glossary').textContent()}`);
          assert.equal(await page.locator('.glossary').getAttribute('role'), 'dialog');
          if (id === ids[0]) await screenshot(page, `rule-${preset}-${width}`);
          await page.getByRole('button', { name: 'Close the rule' }).click();
          assert.equal(await page.locator('.glossary').count(), 0);
        }
      },
      { path: `?v=1&preset=${preset}`, viewport: { width, height: width < 500 ? 844 : 800 } },
    ));
}
