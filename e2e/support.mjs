// Shared e2e support: serve dist/ under a sub-path, start Debian's Chromium or Firefox ESR through
// playwright-core, and watch everything the page does (console errors, network requests).
// The same tests run in both engines; DASHCARD_BROWSER picks one (`cargo xtask test` runs both).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, firefox } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DIST = path.resolve(process.env.DASHCARD_DIST || path.join(here, '..', 'dist'));
/** Where the app is hosted in the tests, as on a GitHub Pages project site. */
export const SUB_PATH = '/dashcard/';
/** Screenshots and other artifacts of a run. */
export const OUT_DIR = path.join(here, 'test-results', ...(process.env.DASHCARD_BROWSER === 'firefox' ? ['firefox'] : []));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.mp4': 'video/mp4',
  '.img': 'application/octet-stream',
};

/** Every file under dist/, as URL paths relative to the sub-path ("index.html", "boot.js"...). */
export function distFiles() {
  const out = new Set();
  const walk = (dir, prefix) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix + entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), rel + '/');
      else out.add(rel);
    }
  };
  walk(DIST, '');
  return out;
}

/** Serves dist/ at http://127.0.0.1:PORT/dashcard/ and nothing else (404 elsewhere). */
export async function serveDist() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`no build at ${DIST}: run \`trunk build --release --offline\` first`);
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (!url.pathname.startsWith(SUB_PATH)) {
      res.writeHead(404).end('not under the app sub-path');
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(SUB_PATH.length)) || 'index.html';
    const file = path.resolve(DIST, rel);
    if (!file.startsWith(DIST + path.sep) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
      'cache-control': 'no-store',
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}${SUB_PATH}`,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      // Kept-alive connections from the browser would hold the server open.
      server.closeAllConnections();
    }),
  };
}

/** Which engine this run drives: `chromium` (default) or `firefox` (DASHCARD_BROWSER). */
export const BROWSER = process.env.DASHCARD_BROWSER || 'chromium';

/** Whether this run drives Firefox. */
export const FIREFOX = BROWSER === 'firefox';

/** Where each Firefox saves its downloads. */
const FIREFOX_DOWNLOADS = new WeakMap();

/**
 * Debian's Chromium or Firefox ESR, never a downloaded one. `dark` starts the browser in dark
 * mode: over WebDriver BiDi playwright-core cannot emulate `prefers-color-scheme` per page
 * (its `colorScheme` option does nothing there), so Firefox gets it as a preference.
 */
export async function launchBrowser({ dark = false } = {}) {
  if (FIREFOX) {
    // A `moz-` channel makes playwright-core speak WebDriver BiDi to a stock Firefox, rather
    // than to its own patched build (which would have to be downloaded).
    const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'dashcard-firefox-downloads-'));
    const browser = await firefox.launch({
      channel: 'moz-firefox-esr',
      executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr',
      headless: true,
      downloadsPath: downloads,
      firefoxUserPrefs: dark ? { 'layout.css.prefers-color-scheme.content-override': 0 } : {},
    });
    FIREFOX_DOWNLOADS.set(browser, downloads);
    browser.on('disconnected', () => fs.rmSync(downloads, { recursive: true, force: true }));
    return browser;
  }
  if (BROWSER !== 'chromium') throw new Error(`DASHCARD_BROWSER=${BROWSER}: chromium or firefox`);
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/**
 * A page that records console errors, uncaught exceptions and every request it makes.
 * `foreignRequests()` lists requests that are not one of the app's own static files.
 */
export async function watchedPage(browser, server, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => {
    if (!isScreenshotStyle(err.message)) errors.push(`exception: ${err.message}`);
  });
  page.on('request', (req) => requests.push(req.url()));
  page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  const own = distFiles();
  const foreignRequests = () =>
    requests.filter((u) => {
      if (u.startsWith('blob:') || u.startsWith('data:')) return false;
      if (!u.startsWith(server.url)) return true;
      const rel = new URL(u).pathname.slice(SUB_PATH.length) || 'index.html';
      return !own.has(rel);
    });
  return { context, page, errors, requests, foreignRequests };
}

/** Waits until the card is shown and every video length is read. */
export async function cardShown(page) {
  await page.getByRole('tab', { name: 'Overview' }).waitFor({ timeout: 60000 });
  await page.waitForFunction(() => !document.querySelector('.durations-progress'), null, { timeout: 60000 });
}

/** A watched 1280 × 900 page of the app with `image` chosen in its image input, read whole. */
export async function openImageCard(browser, server, image) {
  const watched = await watchedPage(browser, server, { viewport: { width: 1280, height: 900 } });
  const { page } = watched;
  await page.goto(server.url, { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Open card image' }).waitFor({ timeout: 20000 });
  await page.locator('[data-testid=image-input]').setInputFiles(image);
  await cardShown(page);
  return watched;
}

/**
 * Over WebDriver BiDi, playwright-core's screenshot adds `<style>body {}</style>` to the page
 * (to restart CSS animations), which the page's CSP rightly refuses and Firefox reports. That
 * one report, recognised by the hash of exactly "body {}", is the test's doing, not the page's.
 */
function isScreenshotStyle(message) {
  return FIREFOX && message.includes("'sha256-YjaKGiklmzC6wjXA513HAMmzus8VE61XCOT+SmwNZWA='");
}

/**
 * Chooses `folder` in the page's folder input, as a visitor picking the card folder does.
 * Chromium takes the folder itself. Firefox's WebDriver cannot (its `input.setFiles` refuses a
 * directory: NS_ERROR_FILE_IS_DIRECTORY), so there the input gets what Firefox's folder picker
 * gives: every file of the folder, read from disk, with its `webkitRelativePath`
 * ("NEXAR/Nexar/Movie/…"), and a `change` event.
 */
export async function chooseFolder(page, folder) {
  const input = page.locator('[data-testid=folder-input]');
  if (!FIREFOX) {
    await input.setInputFiles(folder);
    return;
  }
  const root = path.basename(folder);
  const files = fs.readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return {
        relative: [root, ...path.relative(folder, file).split(path.sep)].join('/'),
        base64: fs.readFileSync(file).toString('base64'),
        lastModified: fs.statSync(file).mtimeMs,
      };
    });
  await input.evaluate((node, files) => {
    const list = new DataTransfer();
    for (const f of files) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      const file = new File([bytes], f.relative.split('/').pop(), { lastModified: f.lastModified });
      Object.defineProperty(file, 'webkitRelativePath', { value: f.relative });
      list.items.add(file);
    }
    node.files = list.files;
    node.dispatchEvent(new Event('change', { bubbles: true }));
  }, files);
}

/**
 * Clicks the button `name` (or a locator, or calls a function) and returns the file it downloads: `{ file, name }`, the path of the
 * bytes the browser saved and the name the page gave them. In Firefox ESR 153 the download is
 * real too, but its WebDriver BiDi `downloadWillBegin` has no id playwright-core can follow, so
 * no `download` event comes: the name is read off the page's download link as it is clicked,
 * and the file is the one Firefox saved under that name in its downloads folder.
 */
export async function downloaded(page, what, { timeout = 30000 } = {}) {
  // `what`: a button's name on the page (text or RegExp), a locator to click, or a function
  // that starts the download.
  const named = typeof what === 'string' || what instanceof RegExp;
  const act = typeof what === 'function' ? what
    : () => (named ? page.getByRole('button', { name: what }) : what).click();
  if (!FIREFOX) {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout }), act()]);
    return { file: await download.path(), name: download.suggestedFilename() };
  }
  const folder = FIREFOX_DOWNLOADS.get(page.context().browser());
  const asked = page.evaluate(() => new Promise((resolve) => {
    const seen = (e) => {
      const link = e.target instanceof Element && e.target.closest('a[download]');
      if (!link) return;
      document.removeEventListener('click', seen, true);
      resolve(link.download);
    };
    document.addEventListener('click', seen, true);
  }));
  await act();
  const suggested = await asked;
  const saved = path.join(folder, suggested);
  // Firefox makes an empty `name` as a placeholder, writes `name.part` and renames it over
  // `name` when done: done is no `.part`, and `name` non-empty and unchanged for 300 ms.
  const size = () => (fs.existsSync(saved) ? fs.statSync(saved).size : -1);
  for (let end = Date.now() + timeout, last = -1, since = Date.now(); ;) {
    const now = fs.existsSync(`${saved}.part`) ? -1 : size();
    if (now !== last) [last, since] = [now, Date.now()];
    if (now > 0 && Date.now() - since >= 300) break;
    if (Date.now() > end) throw new Error(`Firefox did not save ${suggested} in ${folder}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Moved out, so that a later download of the same name is not renamed by Firefox.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dashcard-download-')), suggested);
  fs.renameSync(saved, file);
  return { file, name: suggested };
}

/** Saves a screenshot under e2e/test-results/. */
export async function screenshot(page, name) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
