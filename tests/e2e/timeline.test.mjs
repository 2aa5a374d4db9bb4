// The timeline's zoom box says what the timeline draws: at the start of a 90 s run it shows a
// 20 s window; once nothing more happens it draws the whole run, and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idle, withPage } from './lib.mjs';

test('the zoom box names the window the timeline draws', () =>
  withPage(
    async (page) => {
      await page.locator('[data-testid=counter]').waitFor();
      await idle(page);
      const zoom = page.getByLabel('Timeline zoom');
      const label = () => zoom.evaluate((s) => s.options[s.selectedIndex].textContent);
      assert.equal(await label(), '20 s');
      await page.keyboard.press('End');
      await idle(page);
      assert.equal(await label(), 'whole run', 'after the last event the whole run is drawn');
      await page.keyboard.press('Home');
      await idle(page);
      assert.equal(await label(), '20 s');
    },
    { path: '?v=1&preset=step1-autocommit-sleep7' },
  ));
