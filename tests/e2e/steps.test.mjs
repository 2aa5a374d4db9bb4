// Every step of the Lab 05 panel at 1280×800 and 390×844, at its first scenario's start and
// end: the panel shows that step, its first scenario plays to its outcome, and a screenshot of
// the first screen of each is kept for review (tests/e2e/screenshots/step-*.png).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SCREENSHOTS, idle, withPage } from './lib.mjs';

const STEPS = [
  'step1-autocommit-sleep7',
  'step2-manual-commit',
  'step3-batch5-fail-at-3',
  'step4-transient-retry',
  'exp1-commit-before-processing',
  'pitfall-maxpoll-rebalance',
  'refunds-idempotent',
];

/** The first screen only (what a student sees without scrolling). */
async function firstScreen(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

for (const [size, viewport] of [
  ['1280', { width: 1280, height: 800 }],
  ['390', { width: 390, height: 844 }],
]) {
  test(`every lab step at ${size} px: its panel, its run to the outcome`, () =>
    withPage(
      async (page) => {
        await page.locator('[data-testid=counter]').waitFor();
        for (const [i, name] of STEPS.entries()) {
          await page.getByLabel('Scenario', { exact: true }).selectOption(name);
          await idle(page);
          assert.equal(await page.locator('.lab .lab-pos').textContent(), `${i + 1} of ${STEPS.length}`);
          const title = page.locator('.lab .lab-title');
          assert.ok(await title.isVisible(), `${name}: the step's title is on screen`);
          await firstScreen(page, `step-${i + 1}-${size}-start`);
          await page.keyboard.press('End');
          await idle(page);
          await page.locator('.callout[data-moment="5"]').waitFor();
          await firstScreen(page, `step-${i + 1}-${size}-end`);
        }
      },
      { viewport },
    ));
}
