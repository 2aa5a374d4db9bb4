// Embedding: the example course page (examples/course.html, copied to dist/course.html) has an
// iframe (`embed=1`) and two `data-offset-lab` elements. Each is an independent playground; the
// iframe reports its height so that the page fits it without scrollbars.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SCREENSHOTS, screenshot, withPage } from './lib.mjs';

const NARROW = { width: 375, height: 800 };

async function counters(page) {
  const inPage = await page.locator('[data-offset-lab] [data-testid=counter]').allTextContents();
  const framed = await page.frameLocator('iframe.offset-lab').locator('[data-testid=counter]').textContent();
  return { inPage, framed };
}

/** The iframe's height, and the height of the playground inside it. */
async function heights(page) {
  const frame = page.frame({ url: /embed=1/ });
  const inner = await frame.evaluate(() => ({
    app: Math.ceil(document.querySelector('.ol').getBoundingClientRect().height),
    scroll: document.documentElement.scrollHeight,
    client: document.documentElement.clientHeight,
  }));
  const outer = await page.locator('iframe.offset-lab').evaluate((f) => f.clientHeight);
  return { outer, ...inner };
}

async function fitted(page) {
  await page.waitForFunction(() => {
    const f = document.querySelector('iframe.offset-lab');
    const ol = f?.contentDocument?.querySelector('.ol');
    return ol && Math.abs(f.clientHeight - Math.ceil(ol.getBoundingClientRect().height)) <= 1;
  }, null, { timeout: 10000 });
}

test('the course page: an iframe and two playgrounds, each on its own', () =>
  withPage(async (page) => {
    const instances = page.locator('[data-offset-lab]');
    await page.locator('[data-offset-lab] [data-testid=counter]').nth(1).waitFor();
    await page.frameLocator('iframe.offset-lab').locator('[data-testid=counter]').waitFor();
    assert.equal(await instances.count(), 2);
    // Each shows the scenario its element names, compact, with the panels it asked for.
    assert.match(await instances.nth(0).locator('.scenario-title').textContent(), /2 s of processing/);
    assert.match(await instances.nth(1).locator('.scenario-title').textContent(), /manual commit/i);
    assert.deepEqual(await instances.nth(0).locator('.tabs .tab').allTextContents(), ['Code', 'Timeline']);
    assert.equal(await instances.nth(0).locator('.tabs .tab.on').textContent(), 'Timeline', 'the first named is open');
    assert.deepEqual(await instances.nth(1).locator('.tabs .tab').allTextContents(), ['Code', 'Build']);
    assert.deepEqual(await counters(page), { inPage: ['0', '0'], framed: '0' });

    // The iframe fits its playground: no inner scrollbar.
    await fitted(page);
    let h = await heights(page);
    assert.ok(h.outer > 300, `the iframe was sized (${h.outer}px)`);
    assert.ok(h.scroll <= h.client + 1, `no scrollbar inside the iframe: ${JSON.stringify(h)}`);
    await screenshot(page, 'course-1280');

    // Stepping one playground moves only that one.
    await instances.nth(0).getByRole('button', { name: /^Step forward/ }).click();
    await instances.nth(0).getByRole('button', { name: /^Step forward/ }).click();
    await page.waitForFunction(() => document.querySelector('[data-offset-lab] [data-testid=counter]').textContent === '2');
    assert.deepEqual(await counters(page), { inPage: ['2', '0'], framed: '0' });
    // Keys go to the playground that has the focus, and only to it.
    await instances.nth(1).locator('.log h2').click();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelectorAll('[data-offset-lab] [data-testid=counter]')[1].textContent === '3');
    assert.deepEqual(await counters(page), { inPage: ['2', '3'], framed: '0' });
    // The iframe's playground steps on its own too.
    const framed = page.frameLocator('iframe.offset-lab');
    await framed.getByRole('button', { name: /^Step forward/ }).click();
    await page.waitForFunction(() => document.querySelector('iframe.offset-lab').contentDocument.querySelector('[data-testid=counter]').textContent === '1');
    assert.deepEqual(await counters(page), { inPage: ['2', '3'], framed: '1' });

    // A tab of a different height: the iframe follows.
    const before = (await heights(page)).outer;
    await framed.getByRole('button', { name: 'Timeline', exact: true }).click();
    await page.waitForFunction((b) => document.querySelector('iframe.offset-lab').clientHeight !== b, before, { timeout: 10000 });
    await fitted(page);
    h = await heights(page);
    assert.ok(h.scroll <= h.client + 1, `still no scrollbar: ${JSON.stringify(h)}`);

    // Embedded playgrounds leave the page alone: no URL change, nothing saved.
    assert.equal(new URL(page.url()).search, '');
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    await instances.nth(0).screenshot({ path: path.join(SCREENSHOTS, 'course-1280-element.png') });
  }, { path: 'course.html' }));

test("the course page takes heights from its playground's origin only, within 200–4000 px", () =>
  withPage(async (page) => {
    await page.frameLocator('iframe.offset-lab').locator('[data-testid=counter]').waitFor();
    await fitted(page);
    const outer = () => page.locator('iframe.offset-lab').evaluate((f) => f.clientHeight);
    const fitHeight = await outer();
    // A message as the iframe's would be, from `origin`, and the iframe's height after it.
    const post = (height, origin) =>
      page.evaluate(
        ([height, origin]) => {
          const frame = document.querySelector('iframe.offset-lab');
          window.dispatchEvent(
            new MessageEvent('message', {
              data: { type: 'offset-lab:height', height },
              origin: origin ?? window.location.origin,
              source: frame.contentWindow,
            }),
          );
          return frame.clientHeight;
        },
        [height, origin],
      );
    assert.equal(await post(1234), 1234, 'the playground sizes its iframe');
    assert.equal(await post(777, 'https://elsewhere.example'), 1234, 'another origin is ignored');
    assert.equal(await post(1e9), 4000, 'at most 4000 px');
    assert.equal(await post(3), 200, 'at least 200 px');
    assert.equal(await post('9999'), 200, 'a height must be a number');
    // A window of the page that is not an Offset Lab iframe is ignored too.
    await page.evaluate(() => window.postMessage({ type: 'offset-lab:height', height: 999 }, '*'));
    await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
    assert.notEqual(await outer(), 999);
    // The playground's own next report fits it again.
    await page.frameLocator('iframe.offset-lab').getByRole('button', { name: 'Timeline', exact: true }).click();
    await fitted(page);
    assert.ok((await outer()) > 300, `fitted again (${await outer()} px; ${fitHeight} px before)`);
  }, { path: 'course.html' }));

test('the course page at 375 px', () =>
  withPage(async (page) => {
    await page.locator('[data-offset-lab] [data-testid=counter]').nth(1).waitFor();
    await fitted(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    const h = await heights(page);
    assert.ok(h.scroll <= h.client + 1, `no scrollbar inside the iframe: ${JSON.stringify(h)}`);
    await screenshot(page, 'course-375');
  }, { path: 'course.html', viewport: NARROW }));

test('embed mode on its own: compact, only the chosen panels, no footer', () =>
  withPage(async (page) => {
    await page.locator('[data-testid=counter]').waitFor();
    assert.equal(await page.locator('.app.embed').count(), 1);
    assert.equal(await page.locator('.brand').isVisible(), false);
    assert.equal(await page.locator('.foot').count(), 0);
    assert.deepEqual(await page.locator('.tabs .tab').allTextContents(), ['Lab', 'Events']);
    assert.ok(await page.locator('.a-events').isVisible());
    assert.equal(await page.locator('.a-code').count(), 0, 'panels not chosen are not there');
    await screenshot(page, 'embed-900');
  }, { path: '?v=1&embed=1&preset=step1-autocommit-sleep7&panels=events,lab', viewport: { width: 900, height: 700 } }));
