// The Content-Security-Policy of the built site (xtask/src/csp.rs; README: "Content-Security-
// Policy"): every page of dist/ carries it as a meta element, with the hashes of exactly its
// inline scripts and styles, in its .gz and .br copies too; and the check every test runs
// (lib.mjs: withPage fails on a `securitypolicyviolation` in any frame) does catch a violation.
// Skipped against an already running server (OFFSET_LAB_URL: `trunk serve` has no policy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { DIST, withPage } from './lib.mjs';

const skip = process.env.OFFSET_LAB_URL ? 'OFFSET_LAB_URL is set (the dev server has no policy)' : false;

// What the site needs, besides hashes: everything else is 'none' (default-src).
const BASE = {
  'default-src': ["'none'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'style-src': ["'self'"],
  'connect-src': ["'self'"],
  'worker-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'frame-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'object-src': ["'none'"],
};

const META = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/g;

function parsePolicy(text) {
  return Object.fromEntries(
    text.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

/** The CSP sources of the inline <script> (no src) and <style> elements of a page, comments aside. */
function inlineHashes(html) {
  const text = html.replace(/<!--[\s\S]*?-->/g, '');
  const hash = (s) => `'sha256-${createHash('sha256').update(s.replace(/\r\n?/g, '\n'), 'utf8').digest('base64')}'`;
  const scripts = [...text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
    .filter(([, attrs]) => !/(^|\s)src(\s|=|$)/i.test(attrs))
    .map(([, , body]) => hash(body));
  const styles = [...text.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map(([, body]) => hash(body));
  return { scripts, styles };
}

for (const page of ['index.html', 'course.html']) {
  test(`dist/${page} carries the policy, with the hashes of its inline scripts and styles`, { skip }, async () => {
    const html = await readFile(path.join(DIST, page), 'utf8');
    const metas = [...html.matchAll(META)];
    assert.equal(metas.length, 1, 'one policy meta element');
    // Before anything it governs (trunk's minified index.html has no <head> tag: it is implied).
    const first = Math.min(...['<script', '<style', '<link'].map((t) => html.toLowerCase().indexOf(t)).filter((i) => i >= 0));
    assert.ok(metas[0].index < first, 'the policy comes before every script, style and link');
    const policy = parsePolicy(metas[0][1]);
    const inline = inlineHashes(html);
    if (page === 'index.html') {
      assert.equal(inline.scripts.length, 3, "the early worker, the prerendered screen's and trunk's module bootstrap");
    } else assert.deepEqual([inline.scripts.length, inline.styles.length], [2, 1], "the course's listener, bundle loader and style");
    assert.deepEqual(policy, {
      ...BASE,
      'script-src': [...BASE['script-src'], ...inline.scripts],
      'style-src': [...BASE['style-src'], ...inline.styles],
    });
    // The compressed copies are of the page with its policy.
    assert.equal(gunzipSync(await readFile(path.join(DIST, `${page}.gz`))).toString('utf8'), html);
    assert.equal(brotliDecompressSync(await readFile(path.join(DIST, `${page}.br`))).toString('utf8'), html);
  });
}

test('the app runs under its policy', { skip }, () =>
  withPage(async (page) => {
    await page.locator('[data-testid=counter]').waitFor();
    const policy = await page.evaluate(
      () => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null,
    );
    assert.match(policy ?? '', /^default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
    // The simulation's worker started, and answers.
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.documentElement.dataset.olPending === '0');
  }));

/** withPage must fail with a message matching every one of `patterns`. */
async function failsWith(run, patterns) {
  await assert.rejects(run, (err) => {
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

test('the check fails a page that runs an inline script', { skip }, () =>
  failsWith(
    withPage(
      async (page) => {
        await page.locator('[data-testid=counter]').waitFor();
        await page.evaluate(() => {
          const s = document.createElement('script');
          s.textContent = 'window.__injected = true;';
          document.body.append(s);
        });
        assert.equal(await page.evaluate(() => window.__injected ?? false), false, 'the policy blocked it');
      },
      { failureScreenshot: false },
    ),
    [/Content-Security-Policy violation in http:\/\/127\.0\.0\.1:\d+\/\S*: script-src-elem blocked inline/, /policy: default-src 'none'/],
  ));

test('the check fails a page that calls eval', { skip }, () =>
  failsWith(
    withPage(
      async (page) => {
        await page.locator('[data-testid=counter]').waitFor();
        // A string timer: compiled later, in the page's own task (code that Playwright evaluates
        // is exempt from the eval check while it runs).
        await page.evaluate(() => setTimeout('window.__evaluated = true', 0));
        await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
        assert.equal(await page.evaluate(() => window.__evaluated ?? false), false, 'the policy blocked it');
      },
      { failureScreenshot: false },
    ),
    [/Content-Security-Policy violation in .*: script-src blocked eval/],
  ));

test("the check fails the course page when its iframe adds an inline style", { skip }, () =>
  failsWith(
    withPage(
      async (page) => {
        await page.frameLocator('iframe.offset-lab').locator('[data-testid=counter]').waitFor();
        const frame = page.frame({ url: /embed=1/ });
        await frame.evaluate(() => {
          const s = document.createElement('style');
          s.textContent = 'body { outline: 1px solid red }';
          document.head.append(s);
        });
      },
      { path: 'course.html', failureScreenshot: false },
    ),
    [/Content-Security-Policy violation in http:\/\/127\.0\.0\.1:\d+\/index\.html\?\S*embed=1\S*: style-src-elem blocked inline/],
  ));
