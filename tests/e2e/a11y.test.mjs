// An axe-core audit (npm axe-core, WCAG 2.x A and AA rules) of every page the e2e run opens:
// the playground at 1280 and 390 px, at its start and at a run's end, with the Experiments'
// chart and two runs side by side, and the course and instructor pages. No serious or critical
// violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, idle, withPage } from './lib.mjs';

const AXE = await readFile(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** Serious and critical violations on the page, one line each (rule: where — why). */
async function audit(page) {
  // Through the DevTools protocol, like the test's own scripts: not a script of the page.
  await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.slice(0, 3).map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary.split('\n')[1] ?? ''}`));
}

const SIZES = [
  ['1280', { width: 1280, height: 800 }],
  ['390', { width: 390, height: 844 }],
];

for (const [name, viewport] of SIZES) {
  test(`axe: the playground at ${name} px, at the start and at a run's end`, () =>
    withPage(
      async (page) => {
        await page.locator('[data-testid=counter]').waitFor();
        await idle(page);
        const start = await audit(page);
        await page.keyboard.press('End');
        await idle(page);
        const end = await audit(page);
        assert.deepEqual({ start, end }, { start: [], end: [] });
      },
      { path: '?scenario=step1-autocommit-sleep7', viewport },
    ));
}

test('axe: the Experiments with a chart and two runs side by side', () =>
  withPage(async (page) => {
    await page.locator('[data-testid=counter]').waitFor();
    await idle(page);
    await page.getByRole('button', { name: 'Run: What does committing cost?' }).click();
    await idle(page, { timeout: 30000 });
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await idle(page, { timeout: 30000 });
    await page.locator('.sbs-result').waitFor();
    assert.deepEqual(await audit(page), []);
  }, { path: '?scenario=exp2-async-commits' }));

for (const file of ['course.html', 'instructor.html']) {
  test(`axe: ${file}`, () =>
    withPage(
      async (page) => {
        await page.locator('[data-testid=counter]').first().waitFor();
        await idle(page);
        assert.deepEqual(await audit(page), []);
      },
      { path: file },
    ));
}
