// Build a consumer and prove it: a student turns the lab's naive program into one that commits
// after processing with the builder's controls only, presses "Prove it", and the challenge's
// success criterion ticks; the naive program's counterexamples open as runs. The time a proof
// takes in headless Chromium is printed (a benchmark figure, not an assertion).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idle, screenshot, withPage } from './lib.mjs';

/** Press "Prove it" and wait for the verdict; returns how long it took (ms). */
async function prove(page) {
  const started = Date.now();
  await page.getByRole('button', { name: 'Prove it', exact: true }).click();
  await idle(page, { timeout: 120000 });
  await page.locator('[data-testid=prove-result] .prove-verdict').waitFor();
  return Date.now() - started;
}

function criterion(page, text) {
  return page.locator('.checklist li', { hasText: text });
}

test('Step 2 challenge: commit after processing, built with the controls, proves loss-free and ticks', () =>
  withPage(async (page) => {
    const challenge = page.locator('[data-testid=challenge]');
    await challenge.waitFor();
    assert.match(await challenge.locator('.challenge-goal').textContent(), /No payment lost under any single crash/);
    // Watching the lab's own manual-commit consumer to its end ticks nothing.
    await page.getByRole('button', { name: /^Jump to end/ }).click();
    await idle(page);
    assert.doesNotMatch(await criterion(page, 'reliable manual commit').getAttribute('class') ?? '', /\bdone\b/);

    await challenge.getByRole('button', { name: 'Start from the naive program' }).click();
    await idle(page);
    assert.match(await page.locator('.notice').first().textContent(), /Challenge: No payment lost/);
    // The naive program, proved: it loses payments, and the challenge says which run breaks it.
    const naiveMs = await prove(page);
    assert.match(await page.locator('.prove-verdict').textContent(), /A crash can lose payments/);
    assert.match(await page.locator('.prove .prove-challenge').textContent(), /Goal not met yet/);

    await page.getByLabel('enable.auto.commit').uncheck();
    await idle(page);
    await page.getByLabel('where the program commits').selectOption('after-each-sync');
    await idle(page);
    assert.match(await page.locator('.prove-stale').textContent(), /prove it again/);
    const fixedMs = await prove(page);
    const verdict = await page.locator('.prove-verdict').textContent();
    assert.match(verdict, /no crash loses a payment/i);
    assert.match(await page.locator('.prove .prove-challenge').textContent(), /Goal met/);
    // Duplicates remain: at-least-once (A3), listed as counterexamples of no loss.
    assert.ok((await page.locator('.pg-duplicate').count()) > 0);
    assert.equal(await page.locator('.pg-loss').count(), 0);
    // The success criteria tick on the student's own program.
    assert.match(await criterion(page, 'reliable manual commit').getAttribute('class'), /\bdone\b/);
    assert.match(await criterion(page, 'at-least-once').getAttribute('class'), /\bdone\b/);
    assert.match(await page.locator('[data-testid=challenge] .done-badge').textContent(), /met with your program/);
    console.log(`prove it, Step 2 challenge in headless Chromium: naive ${naiveMs} ms, fixed ${fixedMs} ms`);
    await screenshot(page, 'build-1280-challenge-met');
    await page.locator('.prove').screenshot({ path: 'tests/e2e/screenshots/build-1280-prove-panel.png' });
  }, { path: '?scenario=step2-manual-commit', viewport: { width: 1280, height: 1400 } }));

test('Prove it on the naive auto-commit program: counterexamples, worst first, open as runs', () =>
  withPage(async (page) => {
    await page.getByRole('button', { name: 'Prove it', exact: true }).waitFor();
    const ms = await prove(page);
    assert.match(await page.locator('.prove-verdict').textContent(), /A crash can lose payments/);
    const first = page.locator('.prove-groups > li').first();
    assert.match(await first.getAttribute('class'), /\bpg-loss\b/);
    const sentence = await first.locator('.pg-runs li span').first().textContent();
    assert.match(sentence, /lost\.$/);
    await first.getByRole('button', { name: /^Open this run/ }).first().click();
    await idle(page);
    assert.match(await page.locator('.notice').first().textContent(), /A run of the proof/);
    assert.ok((await page.locator('.notice').first().textContent()).includes(sentence));
    // The list stays, and says which run is on screen.
    assert.equal(await first.locator('.pg-on').first().textContent(), 'on screen');
    assert.notEqual(await page.locator('[data-testid=clock]').textContent(), '00:00.000');
    await page.getByRole('button', { name: /^Jump to end/ }).click();
    await idle(page);
    assert.notEqual(await page.locator('[data-testid=counters] [data-kind=lost] b').textContent(), '0');
    console.log(`prove it, step1-autocommit-sleep7 in headless Chromium: ${ms} ms`);
    await screenshot(page, 'build-1280-counterexample-open');
  }, { path: '?scenario=step1-autocommit-sleep7', viewport: { width: 1280, height: 1400 } }));

test('Prove it at 375 px: in the Build tab, the verdict and its runs read on a phone', () =>
  withPage(async (page) => {
    await page.locator('.tabs').getByRole('button', { name: 'Build' }).click();
    await idle(page);
    await prove(page);
    const verdict = page.locator('.prove-verdict');
    assert.ok(await verdict.isVisible());
    const box = await page.locator('.prove').boundingBox();
    assert.ok(box.width <= 375, `the panel is ${box.width} px wide`);
    await page.locator('.prove').screenshot({ path: 'tests/e2e/screenshots/build-375-prove.png' });
  }, { path: '?scenario=step1-autocommit-sleep7', viewport: { width: 375, height: 800 } }));
