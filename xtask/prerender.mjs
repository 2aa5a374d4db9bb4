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
// That stylesheet is inlined into index.html (a <style> element instead of the link to
// style.css), so that nothing but the page itself stands between a visitor and that screen.
// The app mounts on #ol-app, which the stylesheet keeps laid out but invisible while
// #ol-prerendered is in the page; when the app has drawn its own first screen it removes
// #ol-prerendered in the same frame, and the screen does not move (tests/e2e/prerender.test.mjs
// compares the layouts). The small inline script after it shows it once it is parsed whole, or
// removes it before the first paint when the page was opened with another link (a preset, a
// moment, ?embed=1) that no page of the site frames the app with (below): that screen is known
// only when the app has run. The CSP step hashes the script like any inline script.
//
// Every other page of DIST with playground elements (`data-offset-lab`: examples/course.html,
// examples/instructor.html) gets the same for each element whose scenario the page itself
// names (an attribute, or a scenario inline in the element, which is then all it holds): the
// element's first screen, drawn at 1280 px, as the element's last child:
// <!--ol-prerendered--><div class="ol-prerendered" inert aria-hidden="true">…</div><!--/…-->.
// The playground then mounts on a new child after it (src/embed.rs), invisible and taking no
// room until it removes .ol-prerendered.
//
// The links with which those pages frame the app (<iframe src="index.html?…&embed=1…">) are
// known too: each one's first screen goes into DIST/first-screens/<hash of the link>.html, and
// index.html's inline script, opened with exactly that link, fetches it and shows it in place of
// the default screen (and tells the framing page its height, so the frame has its final size
// before the wasm arrives). Links nobody wrote into a page of DIST get no first screen.
//
// Running it again replaces the earlier prerendered screens. Without DIST/index.html, or without a
// #ol-app element in it, it fails with a message.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { launchChromium, serveDist } from '../tests/e2e/lib.mjs';

const START = '<!--ol-prerendered-->';
const END = '<!--/ol-prerendered-->';
/** The folder of dist/ with the first screens of the links the site's pages frame the app with. */
const FRAMES = 'first-screens';
const CSS_START = '<!--ol-style-->';
const CSS_END = '<!--/ol-style-->';
/** The element the app mounts on, as trunk writes it (its release build minifies the page). */
const MOUNT = /<div id="?ol-app"?><\/div>/;
/** A scenario inline in a playground element, with the space around it: all the element holds. */
const INLINE_SCENARIO = /^\s*<script type="application\/json">[^<]*<\/script>\s*/;
/** A page's playground elements' opening tags (what the app mounts on: `[data-offset-lab]`). */
const ELEMENT = /<([a-z][a-z0-9-]*)\b[^>]*\sdata-offset-lab(?=[\s=>])[^>]*>/gi;

const dir = path.resolve(process.argv[2] ?? 'dist');
const index = path.join(dir, 'index.html');
const started = Date.now();

const page = withoutPrerendered(await readFile(index, 'utf8'));
if (!MOUNT.test(page)) throw new Error(`${index} has no <div id="ol-app"></div> to prerender the first screen before`);
await writeFile(index, page); // the app's page without a prerendered screen: what is rendered now

// Served where it was built for: `--public-url /courses/kafka/offset-lab/` makes trunk name its
// files by that absolute path.
const prefix = page.match(/["'](\/[^"']*\/|\/)offset-lab-web\.js["']/)?.[1] ?? '/';
const server = await serveDist({ dir, prefix });
const browser = await launchChromium();
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const secs = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
try {
  // The app's own page.
  const screen = await drawn(browser, server.url, () => ({
    html: document.getElementById('ol-app').innerHTML,
    link: location.search,
  }));
  // The link the app shows for this screen: opened again with it, the page shows the same screen.
  const link = JSON.stringify(screen.link).replaceAll('<', '\\u003c');

  // The app's page as the site's own pages frame it (<iframe src="index.html?…&embed=1…">): each
  // such link's first screen goes into a file of its own, which the page fetches when it is opened
  // with exactly that link, instead of showing the default one.
  await rm(path.join(dir, FRAMES), { recursive: true, force: true });
  const framed = {};
  for (const query of await framedLinks(dir, server.url)) {
    const shown = await drawn(browser, `${server.url}index.html${query}`, () => document.getElementById('ol-app').innerHTML);
    const file = `${FRAMES}/${createHash('sha256').update(query).digest('hex').slice(0, 16)}.html`;
    await mkdir(path.join(dir, FRAMES), { recursive: true });
    await writeFile(path.join(dir, file), shown);
    framed[query] = file;
    console.log(`✓ prerendered the first screen of index.html${query} into ${file}: ${kib(shown.length)} of markup (${secs()})`);
  }

  // It shows the screen once it is parsed whole (hidden until then: a page that arrives in pieces
  // is painted in pieces, and each later piece would move what is above it). Opened with a
  // framed link, it shows that link's screen instead once fetched, and tells the framing page its
  // height (as the app does: src/hooks/use_report_height.rs), so the frame has its final size at
  // once; opened with any other link, it removes the screen.
  const script =
    `(function(){var s=location.search,p=document.getElementById("ol-prerendered"),` +
    `f=${JSON.stringify(framed).replaceAll('<', '\\u003c')}[s];` +
    `if(!s||s===${link}){p.hidden=false;return}` +
    `if(!f){p.remove();return}p.textContent="";` +
    `fetch(f).then(function(r){return r.ok?r.text():""}).then(function(h){` +
    `if(!h||!p.isConnected)return p.remove();p.innerHTML=h;p.hidden=false;` +
    `if(parent!==window)parent.postMessage({type:"offset-lab:height",` +
    `height:Math.ceil((p.firstElementChild||p).getBoundingClientRect().height)},"*")` +
    `},function(){p.remove()})})()`;
  const block =
    `${START}<div id="ol-prerendered" inert aria-hidden="true" hidden>${screen.html}</div>` +
    `<script>${script}</script>${END}`;
  await writeFile(index, inlineStylesheet(page.replace(MOUNT, (mount) => block + mount), await readFile(path.join(dir, 'style.css'), 'utf8')));
  console.log(
    `✓ prerendered the first screen into ${path.relative(process.cwd(), index)}: ${kib(screen.html.length)} of markup, ` +
      `for the link ${screen.link || '(none)'} (${secs()})`,
  );

  // Every other page of the site with playground elements (a course page): each element whose
  // scenario the page itself names (an attribute, or a scenario inline in the element) gets its
  // own first screen.
  for (const name of await otherPages(dir)) {
    const file = path.join(dir, name);
    const html = withoutPrerendered(await readFile(file, 'utf8'));
    const elements = [...html.matchAll(ELEMENT)];
    if (elements.length === 0) continue;
    await writeFile(file, html);
    // What each playground drew: the element's children but a scenario inline in it.
    const shown = await drawn(browser, server.url + name, () => ({
      html: [...document.querySelectorAll('[data-offset-lab]')].map((el) =>
        [...el.children]
          .filter((c) => !c.matches('script'))
          .map((c) => c.outerHTML)
          .join(''),
      ),
    }));
    if (shown.html.length !== elements.length) {
      throw new Error(`${name}: ${elements.length} playground tags in its text, ${shown.html.length} playgrounds in the page`);
    }
    let out = '';
    let at = 0;
    let done = 0;
    elements.forEach((m, i) => {
      const end = m.index + m[0].length;
      out += html.slice(at, end);
      at = end;
      // An empty element, or one with only a scenario inline: the first screen goes after the
      // scenario, where src/embed.rs looks for it (the element's last child).
      const inline = html.slice(end).match(INLINE_SCENARIO);
      const content = inline ? inline[0].length : 0;
      if (html.startsWith(`</${m[1]}>`, end + content) && shown.html[i]) {
        out += html.slice(end, end + content);
        at = end + content;
        out += `${START}<div class="ol-prerendered" inert aria-hidden="true">${shown.html[i]}</div>${END}`;
        done++;
      }
    });
    out += html.slice(at);
    await writeFile(file, out);
    console.log(`✓ prerendered ${done} of the ${elements.length} playgrounds of ${name} (${secs()})`);
  }
} finally {
  await browser.close();
  await server.close();
}


/**
 * The page's stylesheet in the page itself (`<style>`), instead of a `<link>` to style.css: the
 * prerendered screen can then be drawn as soon as the page has arrived, without waiting a round
 * trip more for the stylesheet (the phone profile's 150 ms, behind the wasm's download). The
 * course pages keep linking style.css. Run again, it replaces the stylesheet inlined before.
 */
function inlineStylesheet(html, css) {
  const style = `${CSS_START}<style>${css}</style>${CSS_END}`;
  const from = html.indexOf(CSS_START);
  if (from >= 0) return html.slice(0, from) + style + html.slice(html.indexOf(CSS_END, from) + CSS_END.length);
  const link = html.match(/<link\b[^>]*\bhref="?[^"\s>]*\/style\.css"?[^>]*>/);
  if (!link || !/\brel="?stylesheet\b/.test(link[0])) throw new Error('index.html has no <link rel=stylesheet> to style.css to inline');
  return html.replace(link[0], () => style);
}

/** The pages of `dir` other than the app's own (course pages), by name, in order. */
async function otherPages(dir) {
  return (await readdir(dir)).filter((f) => f.endsWith('.html') && f !== 'index.html').sort();
}

/**
 * The links (`?…`) with which the site's pages frame its app: every <iframe src> of a page of
 * `dir` that names the app's page (index.html or its folder), in order, each once.
 */
async function framedLinks(dir, base) {
  const app = new URL('index.html', base).pathname;
  const links = new Set();
  for (const name of await otherPages(dir)) {
    const html = await readFile(path.join(dir, name), 'utf8');
    for (const [, src] of html.matchAll(/<iframe\b[^>]*\ssrc="([^"]*)"/gi)) {
      const url = new URL(src.replaceAll('&amp;', '&'), new URL(name, base));
      const pathname = url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname;
      if (url.origin === new URL(base).origin && pathname === app && url.search) links.add(url.search);
    }
  }
  return [...links];
}

function withoutPrerendered(html) {
  let out = html;
  for (let from = out.indexOf(START); from >= 0; from = out.indexOf(START)) {
    out = out.slice(0, from) + out.slice(out.indexOf(END, from) + END.length);
  }
  return out;
}

/** Opens `url`, waits until every playground of it has drawn its first screen, and reads it with `read`. */
async function drawn(browser, url, read) {
  const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  tab.on('pageerror', (err) => errors.push(err.message));
  try {
    await tab.goto(url);
    await tab
      .waitForFunction(
        () => {
          const all = [...document.querySelectorAll('#ol-app, [data-offset-lab]')];
          return (
            document.documentElement.dataset.olPending === '0' &&
            all.length > 0 &&
            all.every((el) => el.querySelector('.ol > .app:not(.loading)'))
          );
        },
        null,
        { timeout: 30_000 },
      )
      .catch((err) => {
        throw new Error(`${url}: the playgrounds did not draw their first screen in 30 s${errors.length ? `: ${errors.join('; ')}` : ''}`, {
          cause: err,
        });
      });
    await tab.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    if (errors.length) throw new Error(`${url}: the page reported errors: ${errors.join('; ')}`);
    // What the app set as properties (a select's choice, a box ticked, a field's text) goes into
    // the markup as attributes, so that the prerendered controls show the same.
    await tab.evaluate(() => {
      for (const o of document.querySelectorAll('option')) o.toggleAttribute('selected', o.selected);
      for (const i of document.querySelectorAll('input')) {
        if (i.type === 'checkbox' || i.type === 'radio') i.toggleAttribute('checked', i.checked);
        else if (i.type !== 'file') i.setAttribute('value', i.value);
      }
      for (const t of document.querySelectorAll('textarea')) t.textContent = t.value;
    });
    return await tab.evaluate(read);
  } finally {
    await tab.close();
  }
}
