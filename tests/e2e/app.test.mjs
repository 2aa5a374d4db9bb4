// End-to-end flows of the app, as a student would use it. Screenshots for review go to
// tests/e2e/screenshots/ (1280 px and 375 px wide).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SCREENSHOTS, expectText, idle, screenshot, withPage } from './lib.mjs';

const NARROW = { width: 375, height: 800 };

async function counter(page) {
  await idle(page);
  return Number(await page.locator('[data-testid=counter]').textContent());
}

async function clock(page) {
  await idle(page);
  return page.locator('[data-testid=clock]').textContent();
}

/** Wait until the app has mounted and can take keys. */
async function ready(page) {
  await page.locator('[data-testid=counter]').waitFor();
}

/** Wait until `selector` matches exactly `n` elements (Yew renders asynchronously). */
async function expectCount(page, selector, n) {
  await page.waitForFunction(([sel, k]) => document.querySelectorAll(sel).length === k, [selector, n], { timeout: 5000 });
}

/** Wait for two animation frames: the page has re-laid out. */
async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Wait until playback has stopped (at a key moment or the end). */
async function waitPaused(page) {
  await idle(page);
  await page.waitForFunction(() => document.querySelector('.play')?.getAttribute('aria-pressed') === 'false', null, {
    timeout: 20000,
  });
  await idle(page);
}

test('Step 1, 7 s: play to the end, pausing at each key moment, and find the lost payment', () =>
  withPage(async (page) => {
    await page.getByRole('heading', { name: 'Offset Lab' }).waitFor();
    await page.getByLabel('Playback speed').selectOption({ label: '×30' });
    const moments = [];
    for (let i = 0; i < 12 && (await clock(page)) !== '01:30.000'; i++) {
      await page.getByRole('button', { name: /^Play/ }).click();
      await waitPaused(page);
      const n = await page.locator('.callout').getAttribute('data-moment');
      moments.push(n);
      await screenshot(page, `sleep7-1280-moment-${i + 1}-${n ?? 'none'}`);
    }
    await expectText(page, '[data-testid=clock]', '01:30.000');
    // Playback stopped at the moments in order: at risk, died without close, session expired,
    // resumed at the committed offset; then it ran to the end (the outcome).
    assert.deepEqual(moments.slice(0, 4), ['1', '2', '2', '3']);
    assert.equal(moments.at(-1), '5');
    const p1 = page.locator('[data-testid=ledger] [data-payment="P-0001"]');
    assert.match(await p1.getAttribute('class'), /\bv-lost\b/);
    assert.match(await p1.textContent(), /lost/);
    // Its story: the commit moved past it, the consumer died, the restart resumed after it.
    const why = await p1.locator('.why').textContent();
    assert.match(why, /past P-0001/);
    assert.match(why, /sys\.exit\(1\) without close\(\)/);
    assert.match(why, /never be delivered again/);
    await expectText(page, '[data-testid=counters] [data-kind=lost] b', '1');
    // A cause links to its instant on the timeline.
    await p1.locator('.why .link').first().click();
    assert.notEqual(await clock(page), '01:30.000');
    await page.keyboard.press('End');
    // F.1: with 7 s of processing, every phase of the 5 s timer loses the payment.
    await page.getByRole('button', { name: 'Explore the phase' }).click();
    assert.match(await page.locator('.phase-summary').textContent(), /^Lost in every run/);
    await screenshot(page, 'sleep7-1280-end');
  }, { path: '?scenario=step1-autocommit-sleep7' }));

test('Step 1, 7 s, at 375 px: the moments read on a phone', () =>
  withPage(async (page) => {
    await ready(page);
    // Shift+→ goes to the first numbered key moment.
    await page.keyboard.press('Shift+ArrowRight');
    await expectText(page, '.callout .callout-badge', '1');
    await screenshot(page, 'sleep7-375-at-risk');
    await page.keyboard.press('End');
    await screenshot(page, 'sleep7-375-end');
    // Nothing sticks out sideways at 375 px.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await page.getByRole('button', { name: 'Timeline', exact: true }).click();
    await idle(page);
    assert.ok(await page.locator('.a-timeline').isVisible());
    assert.ok(!(await page.locator('.a-code').isVisible()));
    await screenshot(page, 'sleep7-375-timeline-tab');
  }, { path: '?scenario=step1-autocommit-sleep7', viewport: NARROW }));

test('Step 2: place a crash point from the code view', () =>
  withPage(async (page) => {
    await page.getByRole('heading', { name: 'The program' }).waitFor();
    await expectCount(page, '.cp-badge', 1);
    const gutter = page.getByRole('button', { name: /place a crash point while processing it/ });
    await gutter.click();
    const form = page.getByRole('form', { name: /New crash point/ });
    await form.waitFor();
    // Only the code panel, before typing: a screenshot moves the visual viewport, and Chromium
    // moves it back on the next focus change, which would be under the click below.
    await page.locator('.a-code').screenshot({ path: path.join(SCREENSHOTS, 'step2-1280-crash-point-editor.png') });
    await form.getByLabel('on message').fill('4');
    await form.getByLabel('How the consumer ends').selectOption('kill');
    await form.getByRole('button', { name: 'Add crash point' }).click();
    await expectCount(page, '.cp-badge', 2);
    // The badge sits under the line it was placed on.
    const badge = page.locator('.line:has(.gutter-btn[aria-label*="while processing it"]) + .cp-badge');
    assert.equal(
      await badge.locator('span').nth(1).textContent(),
      'crash point: on message 4, while processing it, before it is recorded · kill -9 (nothing runs) · restart after 1.0 s',
    );
    // It is part of the scenario, listed in the settings, and the run changed.
    const json = await page.getByLabel('The scenario as JSON').inputValue();
    assert.match(json, /"message": 4/);
    assert.match(json, /"kind": "kill"/);
    await page.getByRole('button', { name: /^Jump to end/ }).click();
    await page.getByRole('button', { name: 'Everything' }).click();
    const all = await page.locator('.narr li').allTextContents();
    assert.ok(all.some((t) => /is killed/.test(t)), 'the narration tells the kill');
    await screenshot(page, 'step2-1280-end-with-crash-point');
    // Remove it again.
    await page.getByRole('button', { name: /Remove crash point: on message 4/ }).first().click();
    await expectCount(page, '.cp-badge', 1);
    // A crash point at a time: click the consumer's lane on the timeline.
    await page.getByLabel('Timeline zoom').selectOption({ label: 'whole run' });
    await page.getByRole('button', { name: /Place a crash point/ }).click();
    const svg = page.locator('svg.tl');
    await svg.scrollIntoViewIfNeeded();
    await settle(page);
    const box = await svg.boundingBox();
    // consumer-1's lane starts 54 px down; the plot spans from 96 px to 14 px before the end.
    await page.mouse.click(box.x + 96 + (box.width - 110) * 0.5, box.y + 54 + 14);
    await expectCount(page, '.m-crashpoint', 1);
    const items = await page.locator('.settings .cps li').allTextContents();
    assert.ok(items.some((t) => /consumer-1: at 00:30\.\d{3}/.test(t)), items.join(' / '));
    await screenshot(page, 'step2-1280-time-crash-point');
  }, { path: '?scenario=step2-manual-commit' }));

test('Step 2 at 375 px: the duplicate and its story', () =>
  withPage(async (page) => {
    await ready(page);
    await page.keyboard.press('End');
    await expectText(page, '[data-testid=counters] [data-kind=duplicated] b', '1');
    const p2 = page.locator('[data-testid=ledger] [data-payment="P-0002"]');
    assert.match(await p2.getAttribute('class'), /\bv-duplicated\b/);
    await screenshot(page, 'step2-375-end');
    await page.getByRole('button', { name: 'Code', exact: true }).click();
    await screenshot(page, 'step2-375-code-tab');
  }, { path: '?scenario=step2-manual-commit', viewport: NARROW }));

test('keyboard: arrows step, Shift+arrows jump to notable events, Home/End, Space plays', () =>
  withPage(async (page) => {
    await page.getByRole('heading', { name: 'Offset Lab' }).waitFor();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    await expectText(page, '[data-testid=counter]', '5');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expectText(page, '[data-testid=counter]', '3');
    await page.keyboard.press('Shift+ArrowRight');
    const afterNotable = await counter(page);
    assert.ok(afterNotable > 3);
    await page.keyboard.press('Shift+ArrowLeft');
    assert.ok((await counter(page)) < afterNotable);
    await page.keyboard.press('End');
    await expectText(page, '[data-testid=clock]', '01:30.000');
    await page.keyboard.press('Home');
    await expectText(page, '[data-testid=counter]', '0');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.querySelector('.play')?.getAttribute('aria-pressed') === 'true');
    await page.waitForFunction(() => document.querySelector('[data-testid=clock]')?.textContent !== '00:00.000');
    await page.keyboard.press('Space');
    await waitPaused(page);
    const t = await clock(page);
    await page.waitForTimeout(200);
    assert.equal(await clock(page), t, 'paused: the clock stands still');
    // Drag the cursor on the timeline: to the middle of the whole run (90 s) is 45 s.
    await page.getByLabel('Timeline zoom').selectOption({ label: 'whole run' });
    const svg = page.locator('svg.tl');
    await svg.scrollIntoViewIfNeeded();
    await settle(page);
    const box = await svg.boundingBox();
    const plotX = (f) => box.x + 96 + (box.width - 110) * f;
    await page.mouse.move(plotX(0.2), box.y + 60);
    await page.mouse.down();
    await page.mouse.move(plotX(0.5), box.y + 60, { steps: 5 });
    await page.mouse.up();
    const dragged = await clock(page);
    assert.match(dragged, /^00:4[45]\.\d{3}$/, `dragged to ${dragged}`);
    await screenshot(page, 'keyboard-1280-after-drag');
  }, { path: '?scenario=step1-autocommit-sleep7' }));

test('settings: turning enable.auto.commit off removes the loss and shows what it cost', () =>
  withPage(async (page) => {
    await page.getByLabel('enable.auto.commit').uncheck();
    await idle(page);
    await page.getByLabel('where the program commits').selectOption('after-each-sync');
    await idle(page);
    await page.getByRole('button', { name: /^Jump to end/ }).click();
    await expectText(page, '[data-testid=counters] [data-kind=lost] b', '0');
    const compare = await page.locator('.callout .compare').textContent();
    assert.match(compare, /commit requests/);
    // Moment 5: compared with the scenario as loaded, the loss is gone; the cost is in commits.
    assert.equal(await page.locator('.callout .compare tbody tr').first().textContent(), 'lost10');
    // …and in throughput: a synchronous commit after each payment waits a round trip each time.
    const throughput = page.locator('.callout .compare tbody tr', { hasText: 'throughput' });
    const [before, now] = await throughput.locator('td').allTextContents();
    assert.match(before, /^\d+\.\d per (second|minute)$/);
    assert.match(now, /^\d+\.\d per (second|minute)$/);
    await screenshot(page, 'fix-1280-outcome-compared');
  }, { path: '?scenario=step1-autocommit-sleep7' }));

test('the phase explorer works from the keyboard: ← → run the neighbouring slice, not the playback', () =>
  withPage(async (page) => {
    await ready(page);
    await page.getByRole('button', { name: 'Explore the phase' }).click();
    await idle(page);
    const strip = page.getByRole('slider', { name: /auto-commit cycle/ });
    await strip.focus();
    const before = Number(await strip.getAttribute('aria-valuenow'));
    const clockBefore = await clock(page);
    await page.keyboard.press('ArrowRight');
    await idle(page);
    const after = Number(await strip.getAttribute('aria-valuenow'));
    assert.ok(after > before, `the phase went from ${before} to ${after} ms`);
    assert.match(await strip.getAttribute('aria-valuetext'), /into the cycle: /);
    // The key ran another slice (the run again, at the same time), not a step of the playback.
    assert.equal(await clock(page), clockBefore);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'slider');
    await page.keyboard.press('Home');
    await idle(page);
    assert.ok(Number(await strip.getAttribute('aria-valuenow')) < after);
    await page.keyboard.press('End');
    await idle(page);
    const last = Number(await strip.getAttribute('aria-valuenow'));
    assert.ok(last > after, `End: ${last}`);
    await screenshot(page, 'phase-1280-keyboard');
  }, { path: '?scenario=step1-autocommit-sleep2' }));

test('a dead member\'s session timeout passes quickly in playback, and says why', () =>
  withPage(async (page) => {
    await ready(page);
    // To key moment 2: the consumer died without close().
    const badge = page.locator('.callout .callout-badge');
    for (let i = 0; i < 6; i++) {
      if ((await badge.count()) && (await badge.textContent()) === '2') break;
      await page.keyboard.press('Shift+ArrowRight');
      await idle(page);
    }
    await expectText(page, '.callout .callout-badge', '2');
    await page.getByLabel('pause at key moments').uncheck();
    await page.getByRole('button', { name: 'Play (Space)' }).click();
    const note = page.locator('.idle-note');
    await note.waitFor({ timeout: 10000 });
    assert.match(await note.textContent(), /^»Waiting for the session timeout: .* died without close\(\)/);
    assert.match(await note.textContent(), /playback speeds through/);
    await screenshot(page, 'idle-1280-session-timeout');
    const clockNow = () => page.locator('[data-testid=clock]').textContent();
    const from = await clockNow();
    // At ×2 the 45 s wait would take over 20 s; sped up it is over in a few.
    await note.waitFor({ state: 'detached', timeout: 12000 });
    assert.notEqual(await clockNow(), from);
  }, { path: '?scenario=step1-autocommit-sleep7' }));
