// Getting a clip out: a real H.264 clip written by mtools in two fragments plays in the page
// from slices of the image; it downloads with its original bytes; a deleted clip is recovered
// byte for byte; the JSON report downloaded from the page is what `dashcard report --json` prints.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { serveDist, launchBrowser, watchedPage, screenshot, downloaded, FIREFOX, openImageCard } from './support.mjs';
import { tempDir, playbackCard, realCard, hevcCard, cliReport, cliReportText } from './fixtures.mjs';

let server;
let browser;
let dir;
let card;

/** A ZIP's entries as Python's zipfile (another implementation) reads them; fails on a bad CRC. */
function zipEntries(file) {
  const out = execFileSync('python3', ['-c',
    'import sys, zipfile, hashlib\n' +
    'z = zipfile.ZipFile(sys.argv[1])\n' +
    'assert z.testzip() is None\n' +
    'for i in z.infolist(): print(i.filename, i.compress_type, hashlib.sha256(z.read(i)).hexdigest())',
    file]).toString().trim();
  return out.split('\n').map((line) => {
    const [name, method, sha256] = line.split(' ');
    return { name, method: Number(method), sha256 };
  });
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
  dir = tempDir();
  card = playbackCard(dir);
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function openCard() {
  const watched = await openImageCard(browser, server, card.image);
  const { page } = watched;
  await page.getByRole('tab', { name: 'Files' }).click();
  return watched;
}

test('a fragmented clip plays from slices of the image', async () => {
  const report = cliReport(card.image);
  const clip = report.files.find((f) => f.path === 'Nexar/20241012_075700_1.mp4' && !f.deleted);
  assert.ok(clip.fragments >= 2, `the clip is fragmented (${clip.fragments} fragments)`);
  const { page, context, errors, foreignRequests } = await openCard();
  await page.getByRole('button', { name: 'Play 20241012_075700_1.mp4' }).click();
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=player-video]');
    return v && v.currentTime > 0.5;
  }, null, { timeout: 30000 });
  const state = await page.evaluate(() => {
    const v = document.querySelector('[data-testid=player-video]');
    return { error: v.error && v.error.message, duration: v.duration, width: v.videoWidth };
  });
  assert.equal(state.error, null);
  assert.equal(state.width, 320);
  assert.ok(Math.abs(state.duration - 4) < 0.2, `duration ${state.duration}`);
  await screenshot(page, 'player');
  assert.deepEqual(foreignRequests(), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('downloads keep the original bytes, and a deleted clip is recovered', async () => {
  const { page, context, errors } = await openCard();
  const live = await downloaded(page, 'Download 20241012_075700_1.mp4');
  assert.equal(live.name, '20241012_075700_1.mp4');
  assert.equal(sha256(live.file), sha256(card.fragmented));
  const recovered = await downloaded(page, 'Recover 20241012_080000_1.mp4');
  assert.equal(recovered.name, '20241012_080000_1.mp4');
  assert.equal(sha256(recovered.file), sha256(card.deleted));
  // Checking the exports reports on itself, not as the card's reading.
  await page.getByRole('status').filter({ hasText: 'SHA-256' }).waitFor();
  assert.equal(await page.locator('.durations-progress').count(), 0);
  assert.equal(await page.getByRole('tab', { name: 'Files' }).count(), 1, 'the card is still open');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the JSON report from the page is what dashcard report --json prints', async () => {
  const { page, context, errors } = await openCard();
  const report = await downloaded(page, 'Download report (JSON)');
  assert.equal(report.name, 'playback_img-dashcard.json');
  assert.equal(fs.readFileSync(report.file, 'utf8'), cliReportText(card.image));
  const csv = await downloaded(page, 'Recordings (CSV)');
  const lines = fs.readFileSync(csv.file, 'utf8').trim().split('\n');
  assert.match(lines[0], /^path,kind,camera,pool,start/);
  assert.equal(lines.length, 3, 'a header and the two clips');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a drive saves as a zip of its segments, and every export has its SHA-256 on record', async () => {
  const { page, context, errors } = await openCard();
  await page.getByRole('tab', { name: 'Drives' }).click();
  await page.locator('li.drive summary').first().click();
  const zip = await downloaded(page, 'Save this drive (zip)');
  assert.equal(zip.name, 'drive-2024-10-12_0757.zip');
  const listing = zipEntries(zip.file).map((e) => `${e.name} ${e.method} ${e.sha256}`);
  assert.deepEqual(listing, [`drive-2024-10-12_0757/20241012_075700_1.mp4 0 ${sha256(card.fragmented)}`]);
  await page.getByRole('status').filter({ hasText: 'SHA-256' }).waitFor();
  // The summary is built for printing; the print dialog itself is stubbed out here.
  await page.evaluate(() => { window.print = () => { window.__printed = true; }; });
  await page.getByRole('button', { name: 'Print summary' }).click();
  await page.waitForFunction(() => window.__printed === true);
  const summary = await page.locator('[data-testid=print-summary]').textContent();
  assert.ok(summary.includes(sha256(card.fragmented)), 'the print summary lists the SHA-256');
  assert.ok(summary.includes('drive-2024-10-12_0757.zip'));
  await page.emulateMedia({ media: 'print' });
  await screenshot(page, 'print-summary');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a whole drive plays as one timeline, road and cabin side by side', async () => {
  const image = realCard(tempDir());
  const watched = await openImageCard(browser, server, image);
  const { page, context, errors } = watched;
  await page.getByRole('tab', { name: 'Drives' }).click();
  await page.locator('li.drive summary').first().click();
  await page.getByRole('button', { name: 'Play this drive' }).click();
  // The first road segment lasts 2 s: the clock passing 07:57:02 means the next one took over.
  await page.waitForFunction(
    () => /07:57:0[3-9]/.test(document.querySelector('[data-testid=wall-clock]')?.textContent || ''),
    null,
    { timeout: 20000 },
  );
  const cabin = await page.evaluate(() => {
    const v = document.querySelector('[data-testid=drive-cabin]');
    return { time: v.currentTime, error: v.error && v.error.message, src: v.src.startsWith('blob:') };
  });
  assert.equal(cabin.error, null);
  assert.ok(cabin.src, 'the cabin camera plays from the card');
  await screenshot(page, 'drive-player');
  // Keyboard: faster, then back to the first segment.
  await page.locator('.drive-player').press('>');
  assert.equal(await page.getByRole('combobox', { name: 'Drive playback speed' }).inputValue(), '1.5');
  assert.equal(await page.evaluate(() => document.querySelector('[data-testid=drive-road]').playbackRate), 1.5);
  await page.locator('.drive-player').press('p');
  await page.waitForFunction(
    () => /07:57:0[0-1]/.test(document.querySelector('[data-testid=wall-clock]')?.textContent || ''),
    null,
    { timeout: 10000 },
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('a selection of files, a recovered one among them, saves as one zip', async () => {
  const { page, context, errors } = await openCard();
  await page.getByRole('checkbox', { name: 'Select 20241012_075700_1.mp4' }).check();
  await page.getByRole('checkbox', { name: 'Select 20241012_080000_1.mp4' }).check();
  const zip = await downloaded(page, /Save selected \(zip, 2\)/);
  assert.equal(zip.name, 'playback_img-selection.zip');
  const listing = zipEntries(zip.file).map((e) => `${e.name} ${e.sha256}`).sort();
  assert.deepEqual(listing, [
    `playback_img-selection/20241012_075700_1.mp4 ${sha256(card.fragmented)}`,
    `playback_img-selection/20241012_080000_1.mp4 ${sha256(card.deleted)}`,
  ]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an H.265 clip plays where the browser has a decoder, and the page says so where it has none', async () => {
  const image = hevcCard(tempDir());
  const watched = await watchedPage(browser, server, { viewport: { width: 1280, height: 900 } });
  const { page, context, errors } = watched;
  await page.goto(server.url, { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Open card image' }).waitFor({ timeout: 20000 });
  await page.locator('[data-testid=image-input]').setInputFiles(image);
  await page.getByRole('tab', { name: 'Overview' }).waitFor({ timeout: 60000 });
  await page.getByRole('tab', { name: 'Files' }).click();
  const hevc = await page.evaluate(() => document.createElement('video').canPlayType('video/mp4; codecs="hvc1.1.6.L93.B0"'));
  // As the README says: Debian's Firefox ESR decodes H.265 (with the system's libavcodec),
  // Debian's Chromium does not.
  assert.equal(hevc !== '', FIREFOX, `canPlayType(H.265) is "${hevc}"`);
  await page.getByRole('button', { name: 'Play 20241012_090000_1.mp4' }).click();
  if (FIREFOX) {
    await page.waitForFunction(() => {
      const v = document.querySelector('[data-testid=player-video]');
      return v && v.currentTime > 0.5 && !v.error && v.videoWidth === 320;
    }, null, { timeout: 30000 });
    assert.equal(await page.getByTestId('player-unplayable').count(), 0);
  } else {
    const why = page.getByTestId('player-unplayable');
    await why.waitFor({ timeout: 30000 });
    assert.equal(await why.getAttribute('role'), 'alert');
    assert.match(await why.innerText(), /This browser cannot play this recording.*H\.265 \(HEVC\)/s);
    // The download is still there, for another player.
    assert.ok(await page.getByRole('button', { name: 'Download 20241012_090000_1.mp4' }).isVisible());
  }
  await screenshot(page, 'player-hevc');
  assert.deepEqual(errors, []);
  await context.close();
});
