// Shared e2e support: serve dist/ under a sub-path, start Debian's Chromium through
// playwright-core, and watch everything the page does (console errors, network requests).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DIST = path.resolve(process.env.DASHCARD_DIST || path.join(here, '..', 'dist'));
/** Where the app is hosted in the tests, as on a GitHub Pages project site. */
export const SUB_PATH = '/dashcard/';
/** Screenshots and other artifacts of a run. */
export const OUT_DIR = path.join(here, 'test-results');

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

/** Debian's Chromium, never a downloaded one. */
export async function launchBrowser() {
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
  page.on('pageerror', (err) => errors.push(`exception: ${err.message}`));
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

/** Saves a screenshot under e2e/test-results/. */
export async function screenshot(page, name) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
