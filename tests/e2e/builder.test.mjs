// The builder refuses an out-of-range value at its field, with the core's message, and leaves
// the scenario as it was; the scenario's JSON, edited and applied, round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idle, screenshot, withPage } from './lib.mjs';

const json = (page) => page.getByLabel('The scenario as JSON').inputValue();

test('an out-of-range field says why and changes nothing; edited JSON round-trips', () =>
  withPage(
    async (page) => {
      await page.locator('[data-testid=counter]').waitFor();
      await idle(page);
      const before = await json(page);
      const interval = page.getByLabel('auto.commit.interval.ms', { exact: true });
      await interval.fill('0');
      await interval.press('Enter');
      await interval.blur();
      await idle(page);
      const error = page.locator('.builder .field-error').first();
      await error.waitFor();
      assert.match(await error.textContent(), /0 is out of range; allowed 100\.\.=3600000/, 'the core’s limit, at the field');
      assert.equal(await interval.getAttribute('aria-invalid'), 'true');
      assert.equal(await json(page), before, 'the scenario is unchanged');
      await screenshot(page, 'builder-refused');

      // The JSON: change the processing time, apply, and read the same JSON back.
      await page.locator('.builder details.json summary').click();
      const edited = before.replace('"processing_ms": 7000', '"processing_ms": 3000');
      assert.notEqual(edited, before);
      await page.getByLabel('The scenario as JSON').fill(edited);
      await idle(page);
      await page.getByRole('button', { name: 'Apply', exact: true }).click();
      await idle(page);
      assert.equal(await json(page), edited, 'the applied JSON reads back unchanged');
      assert.equal(await page.getByLabel('processing time per payment').first().inputValue(), '3000', 'the builder shows it');
    },
    { path: '?v=1&preset=step1-autocommit-sleep7' },
  ));
