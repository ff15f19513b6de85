// The owner who was just hit (issue 16): every incident the card has evidence of (live,
// recoverable, lost), newest first, recovered from the Incidents view; the player as a dialog
// where the user is, with Download, saying why a clip cannot play; a keyboard-only run from the
// landing page to a saved incident clip; no sideways page scroll at 390 px; axe-core (the npm
// package, injected from node_modules) on every view in light and dark; and the page working
// offline after one visit. Screenshots of every view at 390 and 1280 px, light and dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { serveDist, launchBrowser, watchedPage, screenshot, downloaded, cardShown } from './support.mjs';
import { tempDir, incidentCard, cliReport } from './fixtures.mjs';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let server;
let browser;
let dir;
let card;

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
  dir = tempDir();
  card = incidentCard(dir);
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function openPage(options = {}) {
  const watched = await watchedPage(browser, server, { viewport: { width: 1280, height: 900 }, ...options });
  await watched.page.goto(server.url, { waitUntil: 'load' });
  await watched.page.getByRole('button', { name: 'Open card image' }).waitFor({ timeout: 20000 });
  return watched;
}

async function openImage(page, image) {
  await page.locator('[data-testid=image-input]').setInputFiles(image);
  await cardShown(page);
}

async function tab(page, name) {
  await page.getByRole('tab', { name }).click();
  await page.getByRole('tab', { name, selected: true }).waitFor();
}

/** axe-core's violations on the page as it is now (rule id: the elements it names). */
async function axeViolations(page) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  return violations;
}

test('every incident the card has evidence of is listed, newest first, and the counts agree', async () => {
  const report = cliReport(card.image);
  const parking = report.files.filter((f) => f.kind === 'parking');
  assert.equal(parking.length, 4, 'the card holds four parking clips, two of them deleted');
  assert.equal(report.parking.length, 2, 'of which two are live');
  const { page, context, errors } = await openPage();
  await openImage(page, card.image);
  const overviewCount = (await page.locator('dd.incident-count').innerText()).trim();
  assert.equal(overviewCount, '4 incidents: 2 on the card, 1 deleted but recoverable, 1 overwritten (lost)');
  await tab(page, 'Incidents');
  assert.equal((await page.locator('p.incident-count').innerText()).trim(), overviewCount);
  const rows = page.locator('table.incidents tbody tr');
  assert.equal(await rows.count(), 4);
  const times = await rows.locator('td:first-child').allInnerTexts();
  assert.deepEqual(times.map((t) => t.trim()), [
    '2024-10-12 11:00:00', '2024-10-12 10:45:00', '2024-10-12 10:30:00', '2024-10-12 09:00:00',
  ], 'newest first');
  const lost = rows.filter({ hasText: '20241012_090000_U.mp4' });
  assert.match(await lost.innerText(), /overwritten/);
  assert.equal(await lost.getByRole('button').count(), 0, 'a lost clip has nothing to take out');
  assert.match(await lost.locator('.lost').innerText(), /lost/);
  const recoverable = rows.filter({ hasText: '20241012_110000_U.mp4' });
  assert.match(await recoverable.innerText(), /deleted, recoverable/);
  // Recovered from the Incidents view, byte for byte.
  const download = await downloaded(page, recoverable.getByRole('button', { name: 'Recover 20241012_110000_U.mp4' }));
  assert.equal(download.name, '20241012_110000_U.mp4');
  assert.equal(sha256(download.file), sha256(card.recoverable));
  // Oldest first is still a choice.
  await page.locator('.incidents-view select').nth(1).selectOption('oldest');
  assert.match(await rows.first().innerText(), /09:00:00/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the player opens where the user is, closes on Escape with focus back, downloads, and says why a clip cannot play', async () => {
  const { page, context, errors } = await openPage({ viewport: { width: 1280, height: 500 } });
  await openImage(page, card.image);
  await tab(page, 'Incidents');
  const play = page.getByRole('button', { name: 'Play 20241012_103000_U.mp4' });
  await play.scrollIntoViewIfNeeded();
  const scrolled = await page.evaluate(() => window.scrollY);
  await play.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Player' });
  await dialog.waitFor();
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=player-video]');
    return v && v.currentTime > 0.3;
  }, null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => window.scrollY), scrolled, 'the page did not jump');
  assert.ok(await page.evaluate(() => document.querySelector('dialog[open]').contains(document.activeElement)),
    'focus moved into the player');
  const download = await downloaded(page, dialog.getByRole('button', { name: 'Download the recording in the player' }));
  assert.equal(sha256(download.file), sha256(card.live));
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Play 20241012_103000_U.mp4',
    'focus went back to the button that opened the player');
  // A file that is no video says so, and offers Download.
  await page.getByRole('button', { name: 'Play 20241012_104500_U.mp4' }).click();
  const why = dialog.locator('.playback-error');
  await why.waitFor({ timeout: 20000 });
  assert.match(await why.innerText(), /cannot be played here: it is not a video this browser can read/);
  assert.equal(await dialog.getByRole('button', { name: 'Download the recording in the player' }).count(), 1);
  await dialog.getByRole('button', { name: 'Close the player' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Play 20241012_104500_U.mp4');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a drive missing its first road segment plays what exists, shows the gap and keeps the clock right', async () => {
  const { page, context, errors } = await openPage();
  await openImage(page, card.image);
  await tab(page, 'Drives');
  await page.locator('li.drive summary').filter({ hasText: '12:00' }).click();
  await page.getByRole('button', { name: 'Play this drive' }).click();
  const dialog = page.getByRole('dialog', { name: 'Drive player' });
  await dialog.waitFor();
  const clock = () => page.locator('[data-testid=wall-clock]').innerText();
  const allPaused = () => page.evaluate(() => [...document.querySelectorAll('dialog[open] video')].every((v) => v.paused));
  // The road pane says why it is empty while the cabin camera plays and moves the clock.
  await dialog.getByText('No road footage here').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid=drive-cabin]').paused, null, { timeout: 20000 });
  // The first Play/pause pauses (the road camera has nothing to play yet).
  await dialog.getByRole('button', { name: 'Play / pause' }).click();
  assert.ok(await allPaused(), 'the first Play/pause pauses');
  await dialog.getByRole('button', { name: 'Play / pause' }).click();
  await page.waitForFunction(() => /12:00:01/.test(document.querySelector('[data-testid=wall-clock]').textContent), null, { timeout: 20000 });
  // Then the road camera takes over, and the clock goes on.
  await page.waitForFunction(() => /12:00:0[3-4]/.test(document.querySelector('[data-testid=wall-clock]').textContent), null, { timeout: 20000 });
  assert.equal(await dialog.getByText('No road footage here').count(), 0);
  // The gap is drawn: the road bar starts half-way along the drive.
  const left = await dialog.locator('.coverage-row').first().locator('.coverage-bar').first().evaluate((b) => b.style.left);
  assert.equal(parseFloat(left), 50);
  // Paused at the start, Next segment goes to the next segment, skipping none.
  await dialog.getByRole('button', { name: 'Previous segment' }).click();
  if (!(await allPaused())) await dialog.getByRole('button', { name: 'Play / pause' }).click();
  assert.ok(await allPaused());
  assert.match(await clock(), /12:00:00/);
  await dialog.getByRole('button', { name: 'Next segment' }).click();
  assert.match(await clock(), /12:00:02/, 'Next segment goes to the next segment, skipping none');
  assert.deepEqual(errors, []);
  await context.close();
});

/** Where focus is, and whether it is shown and on the screen. */
async function focusState(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return {
      name: el.getAttribute('aria-label') || el.textContent.trim().slice(0, 60),
      tag: el.tagName,
      visible: el.matches(':focus-visible') && style.outlineStyle !== 'none' && style.outlineWidth !== '0px',
      onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
    };
  });
}

/** Presses `key` until focus is on an element named `name`; focus must stay visible and on-screen. */
async function pressUntil(page, key, name, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const f = await focusState(page);
    assert.ok(f.tag === 'BODY' || (f.visible && f.onScreen), `focus on "${f.name}" (${f.tag}) is visible and on-screen`);
    if (f.name === name) return;
  }
  assert.fail(`no "${name}" within ${max} presses of ${key}`);
}

test('keyboard only: from the landing page to a saved incident clip, focus always visible and on-screen', async () => {
  const { page, context, errors } = await openPage({ viewport: { width: 1280, height: 720 } });
  // Playwright intercepts file choosers once a page has a listener for them, set up
  // asynchronously: listening from here on, the chooser cannot open before it is watched.
  page.on('filechooser', () => {});
  await pressUntil(page, 'Tab', 'Open card image');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
  await chooser.setFiles(card.image);
  await cardShown(page);
  // The card announces itself and takes focus.
  await page.waitForFunction(() => document.activeElement?.classList.contains('card-name'));
  assert.match(await page.locator('[data-testid=card-announcer]').innerText(), /incidents\.img opened: 2 drive\(s\), 4 incidents/);
  await pressUntil(page, 'Tab', 'Overview');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getByRole('tab', { name: 'Incidents', selected: true }).count(), 1);
  await pressUntil(page, 'Tab', 'Play 20241012_103000_U.mp4');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'Player' }).waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'Player' }).waitFor({ state: 'hidden' });
  const back = await focusState(page);
  assert.equal(back.name, 'Play 20241012_103000_U.mp4');
  assert.ok(back.visible && back.onScreen, 'focus is back, visible, on the Play button');
  await pressUntil(page, 'Tab', 'Download 20241012_103000_U.mp4');
  const download = await downloaded(page, () => page.keyboard.press('Enter'));
  assert.equal(sha256(download.file), sha256(card.live));
  assert.deepEqual(errors, []);
  await context.close();
});

/** Every view of the page, in order: its name and how to get there from the one before. */
const VIEWS = [
  ['landing', async () => {}],
  ['overview', async (page) => openImage(page, card.image)],
  ['drives', async (page) => tab(page, 'Drives')],
  ['drive-open', async (page) => page.locator('li.drive summary').first().click()],
  ['drive-player', async (page) => {
    await page.getByRole('button', { name: 'Play this drive' }).click();
    await page.getByRole('dialog', { name: 'Drive player' }).waitFor();
  }],
  ['incidents', async (page) => {
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Drive player' }).waitFor({ state: 'hidden' });
    await tab(page, 'Incidents');
  }],
  ['player', async (page) => {
    await page.getByRole('button', { name: 'Play 20241012_103000_U.mp4' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=player-video]')?.readyState >= 2, null, { timeout: 30000 });
  }],
  ['files', async (page) => {
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Player' }).waitFor({ state: 'hidden' });
    await tab(page, 'Files');
  }],
  ['estimates', async (page) => tab(page, 'Estimates')],
];

for (const scheme of ['light', 'dark']) {
  for (const width of [390, 1280]) {
    test(`every view at ${width} px in ${scheme}: axe-core finds nothing${width === 390 ? ', and the page never scrolls sideways' : ''}`, async () => {
      const height = width === 390 ? 844 : 900;
      const { page, context, errors } = await openPage({ viewport: { width, height }, colorScheme: scheme });
      const problems = [];
      for (const [name, go] of VIEWS) {
        await go(page);
        await page.waitForTimeout(300);
        await screenshot(page, `ux-${width}-${scheme}-${name}`);
        for (const v of await axeViolations(page)) problems.push(`${name}: ${v}`);
        if (width === 390) {
          const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
          if (scroll > 390) problems.push(`${name}: the page is ${scroll} px wide`);
        }
      }
      assert.deepEqual(problems, []);
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
}

test('after one visit the page opens and reads a card with no network at all', async () => {
  // A server of its own, stopped after the first visit: nothing can come from the network.
  const own = await serveDist();
  const watched = await watchedPage(browser, own, { viewport: { width: 1280, height: 900 } });
  const { page, context } = watched;
  await page.goto(own.url, { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Open card image' }).waitFor({ timeout: 20000 });
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(scope, own.url, 'the service worker covers the sub-path');
  // A file an earlier release named stays no longer than the next load of the page.
  const stale = new URL('dashcard-web-0123456789abcdef_bg.wasm', own.url).href;
  await page.evaluate(async (url) => (await caches.open('dashcard')).put(url, new Response('old')), stale);
  await page.reload({ waitUntil: 'load' });
  await page.getByRole('button', { name: 'Open card image' }).waitFor({ timeout: 20000 });
  const kept = async () => page.evaluate(async () => (await (await caches.open('dashcard')).keys()).map((r) => r.url));
  for (const end = Date.now() + 10000; (await kept()).includes(stale);) {
    assert.ok(Date.now() < end, 'the stale file was pruned from the offline copy');
    await new Promise((r) => setTimeout(r, 100));
  }
  const wasm = await page.evaluate(() => document.querySelector('script[data-wasm]').dataset.wasm);
  assert.ok((await kept()).includes(new URL(wasm, own.url).href), 'the current release is kept');
  await own.close();
  await context.setOffline(true);
  await page.reload({ waitUntil: 'load' });
  await page.getByRole('button', { name: 'Open card image' }).waitFor({ timeout: 20000 });
  await openImage(page, card.image);
  assert.match(await page.locator('.family-name').innerText(), /Nexar/);
  await tab(page, 'Incidents');
  assert.equal(await page.locator('table.incidents tbody tr').count(), 4);
  // The sample card too: its clip was kept.
  await page.getByRole('button', { name: 'Try a sample card' }).click();
  await page.getByRole('heading', { name: /sample/i }).first().waitFor({ timeout: 60000 });
  await cardShown(page);
  assert.ok(await page.locator('.family-name').count() === 1);
  await context.close();
});
