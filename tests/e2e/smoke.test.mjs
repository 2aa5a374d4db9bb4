import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectText, screenshot, withPage } from './lib.mjs';

test('the app loads and Step increments the counter', () =>
  withPage(async (page) => {
    await page.getByRole('heading', { name: 'Offset Lab' }).waitFor();
    assert.equal(await page.title(), 'Offset Lab');
    await expectText(page, '[data-testid=counter]', '0');

    await page.getByRole('button', { name: /^Step forward/ }).click();
    await expectText(page, '[data-testid=counter]', '1');

    await screenshot(page, 'smoke');
  }));
