// The Experiments panel: a built-in experiment runs in the worker and charts its sweep; a point
// of the chart opens that exact run. Screenshots for review go to tests/e2e/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idle, screenshot, withPage } from './lib.mjs';

const NARROW = { width: 360, height: 800 };

/** The scenario on screen, from the builder's JSON view. */
async function scenario(page) {
  await idle(page);
  return JSON.parse(await page.getByLabel('The scenario as JSON').inputValue());
}

/** Run loss-vs-processing-time and wait for its chart. */
async function runLossExperiment(page) {
  await page.locator('[data-testid=counter]').waitFor();
  await idle(page);
  await page.getByRole('button', { name: 'Run: How likely is auto-commit to lose the payment in flight?' }).click();
  await idle(page, { timeout: 30000 });
  await page.locator('.chart-svg .ch-pt').first().waitFor();
}

test('loss vs processing time: run it, find the chart, open the run of a point', () =>
  withPage(async (page) => {
    await runLossExperiment(page);
    const panel = page.locator('.experiments');
    assert.match(await panel.locator('.sweep-result h3').textContent(), /lose the payment in flight/);
    // The share of runs that lost a payment: 0 % without processing, 40 % at 2 s (B5, F.1).
    const chart = panel.locator('figure.chart').first();
    assert.match(await chart.locator('figcaption').textContent(), /How often a payment is lost/);
    assert.match(await chart.locator('svg').textContent(), /runs that lost a payment \(%\)/);
    assert.match(await chart.locator('svg').textContent(), /processing time \(ms\)/);
    const points = chart.locator('.ch-series').first().locator('.ch-pt');
    assert.equal(await points.count(), 13);
    // The lab as written, marked at its 2 s of processing.
    assert.match(await chart.locator('.ch-legend').textContent(), /the lab as written/);
    assert.match(await points.nth(0).getAttribute('aria-label'), /^processing time \(ms\) 0: 0 % of runs lost a payment/);
    assert.equal(await points.nth(0).getAttribute('tabindex'), '0');
    const point = points.and(page.locator('[aria-label^="processing time (ms) 2000:"]'));
    assert.match(await point.getAttribute('aria-label'), /40 % of runs lost a payment/);
    assert.match(await point.locator('title').textContent(), /40 %/);
    assert.match(await chart.locator('.ch-legend').textContent(), /runs that lost a payment/);
    await screenshot(page, 'experiments-1280-loss-vs-processing-time');
    // A click opens that run: 2 s of processing, where its payment was lost.
    await point.click();
    await idle(page);
    const sc = await scenario(page);
    assert.equal(sc.consumers[0].program.processing_ms, 2000);
    assert.match(await page.locator('.notice').first().textContent(), /processing time \(ms\) 2000/);
    await screenshot(page, 'experiments-1280-opened-run');
    // The keyboard too: focus a point and press Enter.
    await chart.locator('.ch-pt[aria-label^="processing time (ms) 7000:"]').focus();
    await page.keyboard.press('Enter');
    await idle(page);
    assert.equal((await scenario(page)).consumers[0].program.processing_ms, 7000);
  }));

test('at 360 px: the Experiments tab, a sweep of any setting, and its chart', () =>
  withPage(
    async (page) => {
      await page.locator('[data-testid=counter]').waitFor();
      await idle(page);
      await page.getByRole('button', { name: 'Experiments', exact: true }).click();
      await idle(page);
      await page.getByLabel('Setting to sweep').selectOption('rtt_ms');
      await page.getByLabel('Values to sweep, comma separated').fill('1, 5, 40');
      await page.getByRole('button', { name: 'Sweep', exact: true }).click();
      await idle(page, { timeout: 30000 });
      const chart = page.locator('.experiments figure.chart').last();
      await chart.locator('.ch-pt').first().waitFor();
      assert.match(await chart.locator('svg').textContent(), /broker round trip \(ms\)/);
      const box = await chart.locator('svg').boundingBox();
      assert.ok(box.width <= 360 && box.width > 250, `the chart is ${box.width} px wide`);
      await page.locator('.experiments').scrollIntoViewIfNeeded();
      await screenshot(page, 'experiments-360-sweep');
    },
    { path: '?scenario=step2-manual-commit', viewport: NARROW },
  ));
