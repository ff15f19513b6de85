// The landing page, loaded from a sub-path as on GitHub Pages: it renders the real UI, logs no
// errors, and asks for nothing but its own static files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { serveDist, launchBrowser, watchedPage, screenshot, FIREFOX } from './support.mjs';

let server;
let browser;

before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openLanding(options, on = browser) {
  const watched = await watchedPage(on, server, options);
  await watched.page.goto(server.url, { waitUntil: 'load' });
  await watched.page.getByRole('heading', { level: 1, name: /Dashcard/ }).waitFor({ timeout: 20000 });
  return watched;
}

test('the landing page loads under a sub-path with its UI, no errors and no foreign requests', async () => {
  const { page, context, errors, foreignRequests, requests } = await openLanding({
    viewport: { width: 1280, height: 900 },
  });
  for (const name of ['Open card folder', 'Open card image', 'Try a sample card']) {
    assert.ok(await page.getByRole('button', { name }).isVisible(), `button "${name}" is visible`);
  }
  const body = await page.locator('body').innerText();
  assert.match(body, /drop a card image or a card folder/i);
  assert.match(body, /nothing (ever )?leaves your computer|never leaves your computer|nothing is uploaded/i);
  assert.match(body, /Where Nexar keeps your footage/i);
  assert.match(body, /sos/);
  assert.match(body, /Nexar One/);
  // The app really started from WebAssembly (not only the static HTML).
  assert.ok(requests.some((u) => u.endsWith('.wasm')), 'the wasm module was requested');
  await page.waitForLoadState('networkidle');
  await screenshot(page, 'landing-desktop');
  assert.deepEqual(foreignRequests(), [], 'only the page\'s own static files are requested');
  assert.deepEqual(errors, [], 'no console errors or exceptions');
  await context.close();
});

test('every asset URL in the built page is relative, so any sub-path works', () => {
  const html = fs.readFileSync(new URL('../dist/index.html', import.meta.url), 'utf8');
  const urls = [...html.matchAll(/\b(?:href|src|data-js|data-wasm)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(urls.length >= 3, 'the page references its assets');
  for (const u of urls) assert.ok(!u.startsWith('/') && !/^[a-z]+:/i.test(u), `relative URL: ${u}`);
  assert.match(html, /http-equiv="Content-Security-Policy"/);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline scripts');
});

test('the landing page works on a phone-sized screen in dark mode', async () => {
  // Firefox is dark from the start (see launchBrowser).
  const dark = FIREFOX ? await launchBrowser({ dark: true }) : browser;
  const { page, context, errors } = await openLanding({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    colorScheme: 'dark',
  }, dark);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no horizontal scrolling on a phone (page is ${width}px wide)`);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 200, `dark background in dark mode (got ${bg})`);
  await screenshot(page, 'landing-phone-dark');
  assert.deepEqual(errors, []);
  await context.close();
  if (dark !== browser) await dark.close();
});
