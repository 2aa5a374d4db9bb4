// Files in and out: import a scenario (file picker and drag-and-drop; a broken one is refused
// with its validation error and the current work kept), export the scenario, the trace (JSON,
// CSV) and the program as a runnable confluent-kafka script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SCREENSHOTS, expectText, idle, screenshot, withPage } from './lib.mjs';

async function ready(page) {
  await page.locator('[data-testid=counter]').waitFor();
}

async function scenarioJson(page) {
  return page.getByLabel('The scenario as JSON').inputValue();
}

/** Open the export menu and save one item; returns { name, text }. */
async function exportItem(page, title, kind) {
  await page.locator('.files-menu summary').click();
  const item = page.locator('.files-menu .menu-items button', { hasText: title }).filter({ hasText: kind });
  const [download] = await Promise.all([page.waitForEvent('download'), item.click()]);
  const text = await readFile(await download.path(), 'utf8');
  return { name: download.suggestedFilename(), text, file: await download.path() };
}

test('importing a broken scenario file shows why and keeps the current scenario', () =>
  withPage(async (page) => {
    await ready(page);
    for (let i = 0; i < 6; i++) await page.keyboard.press('Shift+ArrowRight');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const clock = await page.locator('[data-testid=clock]').textContent();
    assert.notEqual(clock, '00:00.000');
    const json = await scenarioJson(page);
    // The file picker, and a scenario with a setting out of range.
    const broken = json.replace('"session.timeout.ms": 45000', '"session.timeout.ms": 1');
    assert.notEqual(broken, json);
    await page.locator('input[type=file]').setInputFiles({
      name: 'broken.json',
      mimeType: 'application/json',
      buffer: Buffer.from(broken),
    });
    const notice = page.locator('.notice-error');
    await notice.waitFor();
    const text = await notice.textContent();
    assert.match(text, /Could not open “broken\.json”: /);
    assert.match(text, /consumers\[0\]\.config\.session\.timeout\.ms: 1 is out of range/, 'the message names the field');
    assert.match(text, /Your scenario is unchanged\./);
    assert.equal(await notice.getAttribute('role'), 'alert');
    assert.equal(await page.locator('[data-testid=clock]').textContent(), clock);
    assert.equal(await scenarioJson(page), json);
    await screenshot(page, 'import-1280-broken');
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await idle(page);
    assert.equal(await page.locator('.notice').count(), 0);

    // Dropped on the page: not JSON at all.
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['payments, but as CSV'], 'payments.csv', { type: 'text/csv' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }
    });
    await page.locator('.notice-error').waitFor();
    assert.match(await page.locator('.notice-error').textContent(), /Could not open “payments\.csv”: .*JSON object/);
    assert.equal(await page.locator('.drop-veil').count(), 0, 'the drop zone is gone after the drop');
    assert.equal(await scenarioJson(page), json);

    // A good file opens, from the start.
    const good = json.replace('"seed": 1,', '"seed": 2,');
    assert.notEqual(good, json);
    await page.locator('input[type=file]').setInputFiles({ name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(good) });
    await page.locator('.notice:not(.notice-error)').waitFor();
    assert.match(await page.locator('.notice').textContent(), /Opened “mine\.json”/);
    await expectText(page, '[data-testid=clock]', '00:00.000');
    assert.match(await scenarioJson(page), /"seed": 2,/);
  }, { path: '?scenario=step1-autocommit-sleep7' }));

test('dragging a file over the playground shows where to drop it', () =>
  withPage(async (page) => {
    await ready(page);
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['{}'], 'x.json', { type: 'application/json' }));
      document.body.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.locator('.drop-veil').waitFor();
    assert.match(await page.locator('.drop-veil').textContent(), /Drop a scenario file/);
    await screenshot(page, 'import-1280-dragging');
  }, { viewport: { width: 1280, height: 800 } }));

test('exports: scenario, trace as JSON and CSV, the program as a runnable script', () =>
  withPage(async (page) => {
    await ready(page);
    await page.locator('.files-menu summary').click();
    await page.locator('.files-menu .menu-items').waitFor();
    await page.locator('.top').screenshot({ path: path.join(SCREENSHOTS, 'export-1280-menu.png') });
    await screenshot(page, 'export-1280-menu-page');
    // Escape closes the menu.
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('.files-menu').getAttribute('open'), null);

    const scenario = await exportItem(page, 'Scenario', '.json');
    assert.equal(scenario.name, 'step2-manual-commit.json');
    assert.equal(JSON.parse(scenario.text).version, 1);
    assert.equal(scenario.text, await scenarioJson(page));

    const trace = await exportItem(page, 'Trace', '.json');
    assert.equal(trace.name, 'step2-manual-commit-trace.json');
    const doc = JSON.parse(trace.text);
    assert.equal(doc.scenario, 'step2-manual-commit');
    assert.ok(doc.events.length > 50);
    assert.ok(doc.events.some((e) => e.explanation), 'notable events are explained');

    const csv = await exportItem(page, 'Trace', '.csv');
    assert.equal(csv.name, 'step2-manual-commit-trace.csv');
    const lines = csv.text.trim().split('\n');
    assert.equal(lines[0], 'at_ms,consumer,event,details,explanation');
    assert.equal(lines.length, doc.events.length + 1);

    const py = await exportItem(page, 'Python script', '.py');
    assert.equal(py.name, 'manual_commit_consumer.py');
    assert.match(py.text, /from confluent_kafka import/);
    assert.match(py.text, /'enable\.auto\.commit': False/);
    execFileSync('python3', ['-m', 'py_compile', py.file]); // it is valid Python

    // Embed this: an iframe and an element for a course page, at the moment on screen.
    const embed = await exportItem(page, 'Embed this', '.html');
    assert.equal(embed.name, 'step2-manual-commit-embed.html');
    assert.match(embed.text, /<iframe class="offset-lab"[^>]* src="OFFSET_LAB\/index\.html\?v=1&amp;[^"]*embed=1/);
    assert.match(embed.text, /<div data-offset-lab data-offset-lab-link="\?v=1&amp;[^"]+"><\/div>/);
    // The menu closed after each save.
    assert.equal(await page.locator('.files-menu').getAttribute('open'), null);

    // A link to this moment, on the clipboard.
    await page.keyboard.press('Shift+ArrowRight');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.locator('.files-menu summary').click();
    await page.locator('.files-menu .menu-items button', { hasText: 'Copy a link to this moment' }).click();
    await page.locator('.notice').waitFor();
    assert.match(await page.locator('.notice p').textContent(), /^Link to this moment copied/);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), page.url());
  }, { path: '?scenario=step2-manual-commit' }));

test('the export menu at 375 px', () =>
  withPage(async (page) => {
    await ready(page);
    await page.locator('.files-menu summary').click();
    await page.locator('.files-menu .menu-items').waitFor();
    const box = await page.locator('.files-menu .menu-items').boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 375, `the menu fits the screen: ${JSON.stringify(box)}`);
    await screenshot(page, 'export-375-menu');
  }, { path: '?scenario=step2-manual-commit', viewport: { width: 375, height: 800 } }));

test('the same program under both clients, side by side', () =>
  withPage(async (page) => {
    await ready(page);
    // Folded until the run ends (no spoilers for "predict before you run"); open it by hand.
    assert.equal(await page.locator('details.clients').getAttribute('open'), null);
    await page.locator('.clients-summary').click();
    const rows = page.locator('.clients tbody tr');
    await rows.first().waitFor();
    const cells = async (client) =>
      page.locator(`.clients tr[data-client=${client}] td`).allTextContents();
    // Step 1 with 7 s: librdkafka's background timer loses P-0001 (B5); Java's poll() does not (D2).
    assert.deepEqual(await cells('librdkafka'), ['1', '0', '2']);
    assert.deepEqual(await cells('java'), ['0', '0', '3']);
    assert.match(await page.locator('.clients tr.current').textContent(), /librdkafka.*this run/);
    const why = await page.locator('.clients-why').textContent();
    assert.match(why, /\(B5\)/);
    assert.match(why, /\(D2\)/);
    await page.locator('.a-outcome').screenshot({ path: path.join(SCREENSHOTS, 'clients-1280.png') });
    // Switch this run to Java: the current row follows.
    await page.getByRole('button', { name: 'Switch this run to Java KafkaConsumer' }).click();
    await page.waitForFunction(() => document.querySelector('.clients tr.current')?.dataset.client === 'java');
    assert.match(await scenarioJson(page), /"client": "java"/);
    await expectText(page, '[data-testid=counters] [data-kind=lost] b', '0');
  }, { path: '?scenario=step1-autocommit-sleep7' }));
