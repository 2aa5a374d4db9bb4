// The first screen, rendered at build time: `cargo xtask build` (and the release build of
// `cargo xtask test`) runs this after `trunk build --release`, before the Content-Security-Policy
// and the compressed copies are written.
//
//   node xtask/prerender.mjs [DIST]
//
// It serves DIST (default: dist/), opens the app's own page in Debian's Chromium at 1280×800
// with nothing in its link (the default scenario), waits until the app has drawn its first
// screen, and writes that screen's markup into DIST/index.html, before the element the app
// mounts on:
//
//   <!--ol-prerendered--><div id="ol-prerendered" inert aria-hidden="true" hidden>…the app's .ol…</div>
//   <script>…</script><!--/ol-prerendered-->
//   <div id="ol-app"></div>
//
// So the page shows the real first screen, styled by the same stylesheet, while the wasm loads.
// The app mounts on #ol-app, which the stylesheet keeps laid out but invisible while
// #ol-prerendered is in the page; when the app has drawn its own first screen it removes
// #ol-prerendered in the same frame, and the screen does not move (tests/e2e/prerender.test.mjs
// compares the layouts). The small inline script after it shows it once it is parsed whole, or
// removes it before the first paint when the page was opened with another link (a preset, a
// moment, ?embed=1): that screen is known only when the app has run. The CSP step hashes the
// script like any inline script.
//
// Running it again replaces an earlier prerendered screen. Without DIST/index.html, or without a
// #ol-app element in it, it fails with a message.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serveDist } from '../tests/e2e/lib.mjs';

const START = '<!--ol-prerendered-->';
const END = '<!--/ol-prerendered-->';
/** The element the app mounts on, as trunk writes it (its release build minifies the page). */
const MOUNT = /<div id="?ol-app"?><\/div>/;

const dir = path.resolve(process.argv[2] ?? 'dist');
const index = path.join(dir, 'index.html');
const started = Date.now();

let page = await readFile(index, 'utf8');
const from = page.indexOf(START);
if (from >= 0) page = page.slice(0, from) + page.slice(page.indexOf(END, from) + END.length);
if (!MOUNT.test(page)) throw new Error(`${index} has no <div id="ol-app"></div> to prerender the first screen before`);
await writeFile(index, page); // the app's page without a prerendered screen: what is rendered now

const server = await serveDist({ dir });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});
let screen;
try {
  const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  tab.on('pageerror', (err) => errors.push(err.message));
  await tab.goto(server.url);
  await tab
    .waitForFunction(
      () => document.documentElement.dataset.olPending === '0' && document.querySelector('#ol-app .ol .timebar'),
      null,
      { timeout: 30_000 },
    )
    .catch((err) => {
      throw new Error(`the app did not draw its first screen in 30 s${errors.length ? `: ${errors.join('; ')}` : ''}`, {
        cause: err,
      });
    });
  await tab.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  screen = await tab.evaluate(() => ({
    html: document.getElementById('ol-app').innerHTML,
    link: location.search,
  }));
  if (errors.length) throw new Error(`the page reported errors: ${errors.join('; ')}`);
} finally {
  await browser.close();
  await server.close();
}

// The link the app shows for this screen: opened again with it, the page shows the same screen.
const link = JSON.stringify(screen.link).replaceAll('<', '\\u003c');
// It shows the screen once it is parsed whole (hidden until then: a page that arrives in pieces
// is painted in pieces, and each later piece would move what is above it), or removes it when
// the page was opened with another link.
const script =
  `(function(){var s=location.search,p=document.getElementById("ol-prerendered");` +
  `if(s&&s!==${link})p.remove();else p.hidden=false})()`;
const block =
  `${START}<div id="ol-prerendered" inert aria-hidden="true" hidden>${screen.html}</div>` +
  `<script>${script}</script>${END}`;
await writeFile(index, page.replace(MOUNT, (mount) => block + mount));
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `✓ prerendered the first screen into ${path.relative(process.cwd(), index)}: ${kib(screen.html.length)} of markup, ` +
    `for the link ${screen.link || '(none)'} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
