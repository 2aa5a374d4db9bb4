// Links: the whole state of a playground lives in the URL, so that any moment can be shared and
// reopened exactly; a broken, cut-short or newer link shows a message and a working default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectText, idle, screenshot, withPage } from './lib.mjs';

const MEDIUM = { width: 700, height: 900 };

/** What identifies the moment on screen. */
async function moment(page) {
  return page.evaluate(() => ({
    clock: document.querySelector('[data-testid=clock]')?.textContent,
    counter: document.querySelector('[data-testid=counter]')?.textContent,
    panel: [...document.querySelector('.app').classList].find((c) => c.startsWith('show-')),
    scenario: document.querySelector('[aria-label="The scenario as JSON"]')?.value,
    lost: document.querySelector('[data-testid=counters] [data-kind=lost] b')?.textContent,
  }));
}

test('a shared link reopens the same moment: scenario with its changes, time and panel', async () => {
  let link;
  let before;
  await withPage(async (page) => {
    await page.locator('[data-testid=counter]').waitFor();
    // An edit (a crash point placed from the code view), a time, and a panel.
    await page.getByRole('button', { name: /place a crash point while processing it/ }).click();
    const form = page.getByRole('form', { name: /New crash point/ });
    await form.getByLabel('on message').fill('3');
    await form.getByRole('button', { name: 'Add crash point' }).click();
    for (let i = 0; i < 9; i++) await page.keyboard.press('Shift+ArrowRight');
    await page.getByRole('button', { name: 'Timeline', exact: true }).click();
    await page.waitForFunction(() => new URLSearchParams(location.search).get('panels') === 'timeline');
    link = page.url();
    before = await moment(page);
    assert.equal(before.panel, 'show-timeline');
    assert.notEqual(before.clock, '00:00.000');
    assert.match(link, /[?&]v=1&s=[A-Za-z0-9_-]+/, 'an edited scenario travels whole');
    assert.match(link, /[?&]t=\d+/);
    await screenshot(page, 'link-700-before');
  }, { path: '?scenario=step2-manual-commit', viewport: MEDIUM });

  // Another browser, the same link: the same moment.
  await withPage(async (page) => {
    await page.locator('[data-testid=counter]').waitFor();
    const after = await moment(page);
    assert.deepEqual(after, before);
    assert.ok(await page.locator('.a-timeline').isVisible(), 'the timeline panel is open');
    assert.ok(!(await page.locator('.a-code').isVisible()));
    assert.equal(await page.locator('.picker select').inputValue(), 'custom');
    assert.match(await page.locator('.picker select option:checked').textContent(), /^Your scenario: /);
    await screenshot(page, 'link-700-reopened');
  }, { path: new URL(link).search, viewport: MEDIUM });
});

test('a link cut short shows what is wrong and a working default', () =>
  withPage(async (page) => {
    const notice = page.locator('.notice-error');
    await notice.waitFor();
    assert.match(await notice.textContent(), /damaged|not valid/);
    assert.match(await notice.textContent(), /Showing the default scenario instead\./);
    // The default scenario works.
    assert.match(await page.locator('.picker select option:checked').textContent(), /^Step 1 — auto-commit, 7 s/);
    await page.getByRole('button', { name: /^Step forward/ }).click();
    await expectText(page, '[data-testid=counter]', '1');
    await screenshot(page, 'link-1280-broken');
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await idle(page);
    assert.equal(await page.locator('.notice').count(), 0);
  }, { path: '?v=1&s=eyJ2ZXJzaW9uIjoxLCJuYW1lIjoic3RlcDIt&t=4000' }));

test('a link from a newer Offset Lab says so; an embedded one stays compact', () =>
  withPage(async (page) => {
    const notice = page.locator('.notice-error');
    await notice.waitFor();
    assert.match(await notice.textContent(), /newer Offset Lab \(link version 9\)/);
    assert.ok(await page.locator('.app.embed').count(), 'still the compact layout');
    assert.equal(await page.locator('.tabs .tab').count(), 2, 'with the panels it asked for');
    await expectText(page, '[data-testid=counter]', '0');
  }, { path: '?v=9&embed=1&preset=step2-manual-commit&panels=code,timeline' }));
