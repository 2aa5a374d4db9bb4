// On a phone (390×844), the guided lab comes first: the step's task and its question are on
// the first screen, right under the explanation, and the scenario's description stays closed
// while it would answer the question the student is about to predict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idle, screenshot, withPage } from './lib.mjs';

test('the lab panel is on the first screen of a 390 px phone, its question unanswered by the description', () =>
  withPage(
    async (page) => {
      await page.locator('[data-testid=counter]').waitFor();
      await idle(page);
      const lab = page.locator('.lab');
      await lab.waitFor();
      const box = await lab.boundingBox();
      assert.ok(box && box.y < 844 - 100, `the lab panel starts on the first screen (at ${box?.y}px)`);
      assert.match(await lab.textContent(), /Step 1/);
      assert.ok(await page.locator('.predict').isVisible(), 'the question is shown');
      assert.equal(await page.locator('details.about').evaluate((d) => d.open), false, 'the description, which says what happens, is closed');
      assert.equal(await page.locator('.tabs .tab-lab').isVisible(), false, 'no Lab tab: the lab is already on screen');
      await screenshot(page, 'phone-390-lab-first');
      // Another step's scenario: the lab panel follows, still first.
      await page.getByLabel('Scenario', { exact: true }).selectOption('step2-manual-commit');
      await idle(page);
      assert.match(await lab.textContent(), /Step 2/);
      assert.ok((await lab.boundingBox()).y < 844);
    },
    { viewport: { width: 390, height: 844 } },
  ));
