// The smoke test in WebKit: Debian's WebKitGTK (MiniBrowser, driven by WebKitWebDriver over
// classic WebDriver, under Xvfb) opens the landing page, a card image, a corrupt image and the
// sample card, and plays a clip. Runs only with DASHCARD_BROWSER=webkit (`cargo xtask test` runs
// it under xvfb-run). Classic WebDriver does not see the console, so errors are collected by
// listeners the test adds once the page has loaded (an error before that leaves no UI, which the
// test sees), and requests from the page's resource timing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serveDist, SUB_PATH, OUT_DIR, distFiles } from './support.mjs';
import { tempDir, realCard, garbageImage, cliReport } from './fixtures.mjs';
import { startWebKit } from './webdriver.mjs';

const enabled = process.env.DASHCARD_BROWSER === 'webkit';
let server;
let browser;
let dir;

before(async () => {
  if (!enabled) return;
  server = await serveDist();
  browser = await startWebKit();
  dir = tempDir();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function screenshot(name) {
  const out = path.join(OUT_DIR, 'webkit');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `${name}.png`), await browser.screenshot());
}

/** Loads the page, waits for the app (rendered from wasm), and starts collecting errors. */
async function openPage() {
  await browser.goto(server.url);
  await browser.until(`return !!document.querySelector('[data-testid=image-input]');`, 30000);
  await browser.run(`
    window.__errors = [];
    addEventListener('error', (e) => window.__errors.push('exception: ' + e.message));
    addEventListener('unhandledrejection', (e) => window.__errors.push('rejection: ' + e.reason));
    const error = console.error.bind(console);
    console.error = (...a) => { window.__errors.push('console: ' + a.join(' ')); error(...a); };
    return true;`);
}

/** Errors seen since the page loaded, and requests that are not the page's own files. */
async function trouble() {
  const own = distFiles();
  const { errors, requests } = await browser.run(`return {
    errors: window.__errors,
    requests: performance.getEntriesByType('resource').map((e) => e.name),
  };`);
  const foreign = requests.filter((u) => {
    if (u.startsWith('blob:') || u.startsWith('data:')) return false;
    if (!u.startsWith(server.url)) return true;
    return !own.has(new URL(u).pathname.slice(SUB_PATH.length) || 'index.html');
  });
  return { errors, foreign, wasm: requests.some((u) => u.endsWith('.wasm')) };
}

const cardShown = () => browser.until(`
  const tab = [...document.querySelectorAll('[role=tab]')].some((t) => t.textContent.trim() === 'Overview');
  return tab && !document.querySelector('.durations-progress');`, 60000);

test('WebKit: the landing page, a card image, a corrupt image and the sample card', { skip: !enabled }, async () => {
  console.log(`# WebKitGTK ${browser.version}`);
  await openPage();
  const buttons = await browser.run(`return [...document.querySelectorAll('button')].map((b) => b.textContent.trim());`);
  for (const name of ['Open card folder', 'Open card image', 'Try a sample card']) {
    assert.ok(buttons.includes(name), `button "${name}" is there (${buttons})`);
  }
  await screenshot('landing');
  assert.deepEqual(await trouble(), { errors: [], foreign: [], wasm: true });

  // A card image written by mtools: the page's headline and family are the CLI's.
  const image = realCard(dir);
  const want = cliReport(image);
  await browser.chooseFile('[data-testid=image-input]', image);
  await cardShown();
  const shown = await browser.run(`return {
    headline: document.querySelector('.headline').innerText.trim(),
    family: document.querySelector('.family-name').innerText.trim(),
  };`);
  assert.deepEqual(shown, {
    headline: want.estimate.headline,
    family: want.family.name + (want.family.dual_camera ? ' (road + cabin)' : ''),
  });
  await screenshot('card-overview');
  assert.deepEqual((await trouble()).errors, []);

  // A corrupt image: the error panel.
  await openPage();
  await browser.chooseFile('[data-testid=image-input]', garbageImage(dir));
  const panel = await browser.until(`return document.querySelector('[role=alert]')?.innerText;`, 30000);
  assert.match(panel, /could not be read/i);
  await screenshot('error-panel');

  // The sample card, and one of its clips: WebKitGTK under Xvfb here does not decode it (no
  // H.264 decoder without GStreamer's libav plugins; with them and plugins-bad, "Media failed to
  // decode"), so the page must either play it or say in its player why it cannot.
  await openPage();
  await browser.run(`[...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Try a sample card').click(); return true;`);
  await cardShown();
  await browser.run(`[...document.querySelectorAll('[role=tab]')].find((t) => t.textContent.trim() === 'Files').click(); return true;`);
  await browser.until(`return document.querySelector('select[aria-label="Which files"]');`, 10000);
  await browser.run(`const which = document.querySelector('select[aria-label="Which files"]');
    which.value = 'live';
    which.dispatchEvent(new Event('change', { bubbles: true }));
    return true;`);
  await browser.until(`return document.querySelector('button[aria-label^="Play "]');`, 10000);
  await browser.run(`document.querySelector('button[aria-label^="Play "]').click(); return true;`);
  const played = await browser.until(`
    const v = document.querySelector('[data-testid=player-video]');
    const why = document.querySelector('[data-testid=player-unplayable]');
    if (why) return { unplayable: why.innerText };
    return v && v.currentTime > 0.5 && !v.error && { playing: true };`, 30000);
  console.log(`# WebKit playback: ${JSON.stringify(played)}`);
  await screenshot('sample-player');
  if (!played.playing) assert.match(played.unplayable, /^This browser cannot play this recording.*: .*download it/s);
  assert.deepEqual(await trouble(), { errors: [], foreign: [], wasm: true });
});
