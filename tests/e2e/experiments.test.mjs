// The Experiments panel: a built-in experiment runs in the worker and charts its sweep; a point
// of the chart opens that exact run. Screenshots for review go to tests/e2e/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { idle, replaced, screenshot, withPage } from './lib.mjs';

/** Click `button` and read the file it downloads. */
async function download(page, button) {
  const [d] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: d.suggestedFilename(), text: await readFile(await d.path(), 'utf8') };
}

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
    // The chart as a file of its own, and its numbers.
    const svg = await download(page, chart.getByRole('button', { name: /as SVG$/ }));
    assert.equal(svg.name, 'loss-vs-processing-time-chart-1.svg');
    assert.match(svg.text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.text.match(/<circle/g) ?? []).length, await chart.locator('.ch-pt').count());
    const csv = await download(page, chart.getByRole('button', { name: /as CSV$/ }));
    assert.equal(csv.name, 'loss-vs-processing-time.csv');
    assert.match(csv.text, /^chart,series,processing time \(ms\),value,unit,point\n/);
    assert.ok(csv.text.split('\n').some((l) => l.includes(',2000,40,')), csv.text.slice(0, 400));
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
      await page.getByLabel('Setting to sweep', { exact: true }).selectOption('rtt_ms');
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

/** Each built-in experiment, from the lab panel of the step it measures. */
const FROM_THE_LAB = [
  { scenario: 'step1-autocommit-sleep7', question: 'How likely is auto-commit to lose the payment in flight?' },
  { scenario: 'exp1-commit-before-processing', question: 'Commit before or after processing?' },
  { scenario: 'exp1-commit-before-processing', question: 'What does committing cost?' },
  { scenario: 'exp1-commit-before-processing', question: 'Offsets in Kafka or in the database?' },
];

test('every built-in experiment opens from the lab panel, charts, and a point opens its run', () =>
  withPage(async (page) => {
    const lab = page.locator('.lab');
    const checklist = lab.locator('.checklist li', { hasText: 'Measured performance implications' });
    for (const { scenario: name, question } of FROM_THE_LAB) {
      await page.getByLabel('Scenario', { exact: true }).selectOption(name);
      await idle(page);
      if (question === 'What does committing cost?') {
        assert.doesNotMatch((await checklist.getAttribute('class')) ?? '', /done/, 'not measured yet');
      }
      await lab.getByRole('button', { name: `Chart it: ${question}` }).click();
      await idle(page, { timeout: 30000 });
      const result = page.locator('.experiments .sweep-result');
      assert.equal(await result.locator('h3').textContent(), question);
      const point = result.locator('figure.chart .ch-pt').first();
      await point.waitFor();
      // The result was brought into view.
      assert.ok(await result.locator('h3').isVisible());
      const box = await result.locator('h3').boundingBox();
      assert.ok(box.y >= 0 && box.y < 800, `the result's heading is at ${box.y} px`);
      if (question === 'What does committing cost?') {
        assert.match((await checklist.getAttribute('class')) ?? '', /done/, 'the commit-cost sweep measured performance');
        await screenshot(page, 'experiments-1280-from-the-lab-commit-cost');
      }
      // A point opens its run: a notice names it, and the scenario on screen is that variant.
      const label = await point.getAttribute('aria-label');
      await point.click();
      await idle(page);
      assert.ok(
        (await page.locator('.notice').first().textContent()).includes(`Opened the run of ${label.split(':')[0]}.`),
        label,
      );
    }
  }, { path: '?scenario=step1-autocommit-sleep7' }));

test('two runs side by side: asynchronous commits beside synchronous ones, one time axis, throughput', () =>
  withPage(async (page) => {
    await page.locator('[data-testid=counter]').waitFor();
    await idle(page);
    await page.getByLabel('Scenario to compare with').selectOption('exp2-sync-commits');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await idle(page, { timeout: 30000 });
    const result = page.locator('.sbs-result');
    await result.waitFor();
    const heads = await result.locator('thead th').allTextContents();
    assert.match(heads[1], /synchronous/i);
    assert.match(heads[2], /^this run: .*asynchronous/i);
    const row = (what) => result.locator('tbody tr', { hasText: what }).locator('td').allTextContents();
    const [syncRate, asyncRate] = await row('throughput');
    const n = (s) => Number(s.split(' ')[0]) * (s.endsWith('minute') ? 1 / 60 : 1);
    assert.ok(n(asyncRate) > n(syncRate), `async ${asyncRate} vs sync ${syncRate}`);
    const [syncWait, asyncWait] = await row('waiting for sync commits');
    assert.notEqual(syncWait, '0 ms');
    assert.equal(asyncWait, '0 ms');
    // Two timelines, the same width and the same axis.
    const strips = result.locator('svg.tl');
    assert.equal(await strips.count(), 2);
    const [a, b] = [await strips.nth(0).boundingBox(), await strips.nth(1).boundingBox()];
    assert.equal(Math.round(a.width), Math.round(b.width));
    const ticks = (i) => strips.nth(i).locator('.axis text').allTextContents();
    assert.deepEqual(await ticks(0), await ticks(1));
    assert.match(await strips.nth(0).getAttribute('aria-label'), /synchronous/i);
    await screenshot(page, 'experiments-1280-side-by-side');
  }, { path: '?scenario=exp2-async-commits' }));

test('two settings at once: a small grid, one series per value of the second, kept in the link', () =>
  withPage(async (page) => {
    await page.locator('[data-testid=counter]').waitFor();
    await idle(page);
    await page.getByLabel('Setting to sweep', { exact: true }).selectOption('processing_ms');
    await page.getByLabel('Values to sweep, comma separated').fill('0, 2000, 4000');
    await page.getByLabel('Second setting to sweep').selectOption('auto_commit_interval_ms');
    await page.getByLabel('Values of the second setting, comma separated').fill('1000, 5000');
    await page.getByRole('button', { name: 'Sweep', exact: true }).click();
    await idle(page, { timeout: 30000 });
    const result = page.locator('.experiments .sweep-result');
    assert.match(await result.locator('h3').textContent(), /processing time \(ms\) × auto.commit.interval.ms/);
    const legend = await result.locator('figure.chart').first().locator('.ch-legend').textContent();
    assert.match(legend, /1000/);
    assert.match(legend, /5000/);
    await page.waitForFunction(() => new URLSearchParams(location.search).get('sweep') !== null);
    const sweep = await page.evaluate(() => new URLSearchParams(location.search).get('sweep'));
    assert.equal(sweep, 'processing_ms:0, 2000, 4000;auto_commit_interval_ms:1000, 5000');
    // That link charts the same grid as it opens.
    const link = page.url();
    await page.goto(link);
    await replaced(page);
    await page.locator('.experiments .sweep-result figure.chart').first().waitFor({ timeout: 30000 });
    assert.equal(
      await page.locator('.experiments .sweep-result figure.chart').first().locator('.ch-legend').textContent(),
      legend,
    );
    await screenshot(page, 'experiments-1280-grid');
  }, { path: '?scenario=step1-phase-explorer' }));
