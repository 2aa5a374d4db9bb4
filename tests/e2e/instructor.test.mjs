// An instructor's own scenarios (examples/instructor.html, copied to dist/): a scenario file
// (`data-offset-lab-src`), an inline JSON child and a link's state each show their own scenario,
// with its description; the playgrounds report what the student did (`offset-lab:progress`) to
// the page, and an iframe reports only to the origin its link names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, idle, screenshot, withPage } from './lib.mjs';

/** The progress messages the page recorded (instructor.js keeps them). */
const recorded = (page) => page.evaluate(() => window.offsetLabProgress.map((m) => ({ ...m })));

async function waitForMessage(page, pred, what) {
  await page
    .waitForFunction(pred, null, { timeout: 10000 })
    .catch(async () => assert.fail(`no ${what}; recorded: ${JSON.stringify(await recorded(page))}`));
}

test('your own scenarios: a file, an inline scenario and a link state, each in its own playground', () =>
  withPage(
    async (page) => {
      const pg = page.locator('[data-offset-lab]');
      await pg.nth(2).locator('[data-testid=counter]').waitFor();
      await pg.nth(0).locator('[data-testid=counter]').waitFor();
      await idle(page);
      assert.equal(await pg.count(), 3);
      const titles = await page.locator('[data-offset-lab] .scenario-title').allTextContents();
      assert.match(titles[0], /two consumers commit after processing/, 'the file data-offset-lab-src names');
      assert.match(titles[1], /idempotent ledger/, 'the inline JSON child');
      assert.match(titles[2], /2 s/, 'the link state: step1-autocommit-sleep2');
      assert.equal(await pg.nth(2).locator('[data-testid=clock]').textContent(), '00:06.000', 'at the link’s moment');
      // No "could not open" notice, and no lab complaint about a scenario that is not the lab's.
      assert.equal(await page.locator('[data-offset-lab] .notice-error').count(), 0);
      // The description is shown in embed mode, where a student reads first.
      for (const i of [0, 1]) {
        const about = pg.nth(i).locator('details.about');
        assert.ok(await about.evaluate((d) => d.open), `playground ${i + 1}: the description is open`);
        assert.match(await about.textContent(), /kill/);
      }
      await screenshot(page, 'instructor-1280');

      // Progress: playground 3 opened step 1 of the lab.
      await waitForMessage(
        page,
        () => window.offsetLabProgress.some((m) => m.event === 'step-opened' && m.playground === 3),
        'step-opened from playground 3',
      );
      const opened = (await recorded(page)).find((m) => m.event === 'step-opened' && m.playground === 3);
      assert.deepEqual(
        { type: opened.type, version: opened.version, step: opened.step, from: opened.from },
        { type: 'offset-lab:progress', version: 1, step: 'step1', from: 'playground 3' },
      );
      // Playing playground 1 to its end reports the run's outcome, once.
      await pg.nth(0).getByRole('button', { name: 'Jump to end (End)' }).click();
      await idle(page);
      await waitForMessage(
        page,
        () => window.offsetLabProgress.some((m) => m.event === 'run-finished' && m.playground === 1),
        'run-finished from playground 1',
      );
      const finished = (await recorded(page)).filter((m) => m.event === 'run-finished' && m.playground === 1);
      assert.equal(finished.length, 1);
      assert.deepEqual(
        { scenario: finished[0].scenario, lost: finished[0].lost, duplicated: finished[0].duplicated, once: finished[0].once },
        { scenario: 'week4-two-ledgers', lost: 0, duplicated: 1, once: 17 },
      );
      assert.match(await page.locator('#progress-log').textContent(), /week4-two-ledgers to the end: 0 lost, 1 duplicated/);
    },
    { path: 'instructor.html' },
  ));

test('an iframe reports progress to the origin its link names, and to no other', () =>
  withPage(
    async (page) => {
      const frame = page.frameLocator('iframe.offset-lab');
      await frame.locator('[data-testid=counter]').waitFor();
      await waitForMessage(
        page,
        () => window.offsetLabProgress.some((m) => m.from === 'iframe' && m.event === 'step-opened'),
        'step-opened from the iframe',
      );
      const fromFrame = (await recorded(page)).filter((m) => m.from === 'iframe');
      assert.deepEqual(fromFrame.map((m) => [m.event, m.step]), [['step-opened', 'step2']]);

      // The same playground, told to report to another site: nothing reaches this page.
      const before = (await recorded(page)).length;
      // Waited for as an event (not by polling the frame's address, which the app may rewrite).
      const reloaded = page
        .waitForEvent('framenavigated', { predicate: (f) => /course\.example\.org/.test(f.url()), timeout: 30_000 })
        .catch(() => null);
      await page.evaluate(() => {
        const f = document.querySelector('iframe.offset-lab');
        f.src = `${f.dataset.src}&progress=${encodeURIComponent('https://course.example.org')}`;
      });
      const inner = await reloaded;
      assert.ok(inner, 'the iframe reloaded');
      await inner.locator('[data-testid=counter]').waitFor();
      await inner.waitForFunction(() => document.documentElement.dataset.olPending === '0');
      await inner.getByRole('button', { name: 'Jump to end (End)' }).click();
      await inner.waitForFunction(() => document.documentElement.dataset.olPending === '0');
      await page.waitForTimeout(300);
      assert.equal((await recorded(page)).length, before, 'no message from a playground told another origin');
    },
    { path: 'instructor.html' },
  ));

test('a full-screen link to your own scenario opens without the lab’s guidance', async () => {
  const json = JSON.stringify(JSON.parse(await readFile(path.join(ROOT, 'examples', 'week4.json'), 'utf8')));
  const s = Buffer.from(json).toString('base64url');
  await withPage(
    async (page) => {
      await page.locator('[data-testid=counter]').waitFor();
      await idle(page);
      assert.match(await page.locator('details.about').textContent(), /Three partitions of keyed payments/);
      const tabs = await page.locator('.tabs .tab').allTextContents();
      assert.ok(tabs.length > 0 && !tabs.includes('Lab'), `no Lab panel: ${tabs}`);
      assert.doesNotMatch(await page.locator('body').textContent(), /not one of this step/);
      assert.ok(await page.locator('details.about').evaluate((d) => d.open), 'its description is shown');
      await screenshot(page, 'instructor-full-link-1280');
    },
    { path: `index.html?v=1&s=${s}` },
  );
});
