// A time range exported as one MP4 in the page: in the drive player, mark in and mark out (keys
// i and o) across a segment join, export, and the downloaded file decodes cleanly, lasts the
// range, holds exactly the source frames at the same wall-clock times (ffmpeg framemd5), is
// byte for byte what `dashcard clip` writes, and its SHA-256 is on the print summary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { serveDist, launchBrowser, screenshot, downloaded, openImageCard } from './support.mjs';
import { tempDir, clipCard, cliClip } from './fixtures.mjs';

let server;
let browser;
let dir;

before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
  dir = tempDir();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** One MD5 per decoded video frame, in presentation order. */
function frameMd5s(file) {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-fps_mode', 'passthrough',
    '-f', 'framemd5', '-']).toString().split('\n')
    .filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').pop().trim());
}

function streamDuration(file, stream) {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries',
    'stream=duration', '-of', 'default=nw=1:nk=1', file]).toString().trim());
}

/** Sets the drive player's position (seconds into the drive) and waits for the clock to show it. */
async function seekTo(page, seconds) {
  await page.locator('input.scrubber').fill(String(seconds));
  const clock = `17:41:${String(seconds).padStart(2, '0')}`;
  await page.waitForFunction((c) => document.querySelector('[data-testid=wall-clock]')?.textContent.includes(c),
    clock, { timeout: 10000 });
}

test('mark in / mark out across a join exports the original frames as one MP4', async () => {
  const card = clipCard(dir);
  const { page, context, errors } = await openImageCard(browser, server, card.image);
  await page.getByRole('tab', { name: 'Drives' }).click();
  await page.locator('li.drive summary').first().click();
  await page.getByRole('button', { name: 'Play this drive' }).click();
  await page.locator('.drive-player').waitFor();
  await page.getByRole('button', { name: 'Play / pause' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=drive-road]').paused, null, { timeout: 10000 });
  await seekTo(page, 2);
  await page.locator('.drive-player').press('i');
  await seekTo(page, 10);
  await page.locator('.drive-player').press('o');
  const range = await page.locator('[data-testid=clip-range]').textContent();
  assert.match(range, /In 17:41:02\.\d{3} · out 17:41:10\.\d{3}/);
  const download = await downloaded(page, 'Export clip', { timeout: 60000 });
  const name = download.name;
  assert.equal(name, 'clip-road-20241012-174102.mp4');
  const file = path.join(dir, name);
  fs.copyFileSync(download.file, file);
  await page.waitForFunction(() => /saved/.test(document.querySelector('[data-testid=clip-status]')?.textContent || ''),
    null, { timeout: 10000 });
  await screenshot(page, 'clip-export');

  // The same checks as the CLI's: a clean decode, the range's length, audio in step, the frames.
  const decode = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(decode.toString(), '');
  const video = streamDuration(file, 'v:0');
  assert.ok(Math.abs(video - 8) <= 1, `video lasts ${video} s for an 8 s range`);
  const audio = streamDuration(file, 'a:0');
  assert.ok(Math.abs(audio - video) <= 0.065, `audio ${audio} s, video ${video} s`);
  const want = [];
  card.segments.forEach((segment, k) => {
    const frames = frameMd5s(segment);
    const first = Math.max(0, 2 - 4 * k) * 25;
    const last = Math.min(4, Math.max(0, 10 - 4 * k)) * 25;
    want.push(...frames.slice(first, last));
  });
  assert.deepEqual(frameMd5s(file), want, 'every frame is the source frame at the same time');

  // Byte for byte what the CLI writes for the same range; the SHA-256 on the print summary.
  const cli = path.join(dir, 'cli.mp4');
  cliClip(card.image, '2024-10-12T17:41:02', '2024-10-12T17:41:10', cli);
  assert.equal(sha256(file), sha256(cli));
  // The summary is built while the page prints.
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  const summary = await page.locator('[data-testid=print-summary]').textContent();
  assert.ok(summary.includes(sha256(file)), 'the SHA-256 is on the print summary');
  assert.ok(summary.includes('Nexar/20241012_174100_1.mp4, Nexar/20241012_174104_1.mp4, Nexar/20241012_174108_1.mp4'),
    'the source segments are on the print summary');
  assert.ok(summary.includes('17:41:02'), 'and the range');
  assert.deepEqual(errors, []);
  await context.close();
});

/** Plays the recording `name` in the single-clip player, pauses it `at` seconds in. */
async function playAt(page, name, at) {
  await page.getByRole('button', { name: `Play ${name}` }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=player-video]')?.readyState >= 1,
    null, { timeout: 20000 });
  await page.evaluate((t) => {
    const v = document.querySelector('[data-testid=player-video]');
    v.pause();
    v.currentTime = t;
  }, at);
  await page.waitForFunction((t) => Math.abs(document.querySelector('[data-testid=player-video]').currentTime - t) < 0.001,
    at, { timeout: 10000 });
  return dialog;
}

test('"Save ±30 s" in the single-clip player: a drive segment across its drive, a parking clip alone', async () => {
  const card = clipCard(fs.mkdtempSync(path.join(dir, 'around-')));
  const { page, context, errors } = await openImageCard(browser, server, card.image);
  await page.getByRole('tab', { name: 'Files' }).click();

  // The middle road segment, 2 s in (17:41:06): the minute around it holds the whole drive.
  let dialog = await playAt(page, '20241012_174104_1.mp4', 2);
  let download = await downloaded(page, 'Save ±30 s around this moment', { timeout: 60000 });
  assert.equal(download.name, 'clip-road-20241012-174036.mp4');
  const drive = path.join(dir, 'around-drive.mp4');
  fs.copyFileSync(download.file, drive);
  await page.waitForFunction(() => /saved/.test(document.querySelector('[data-testid=player-clip-status]')?.textContent || ''),
    null, { timeout: 10000 });
  await screenshot(page, 'clip-save-around');
  const cliDrive = path.join(dir, 'cli-around-drive.mp4');
  cliClip(card.image, '2024-10-12T17:40:36', '2024-10-12T17:41:36', cliDrive);
  assert.equal(sha256(drive), sha256(cliDrive), 'the same bytes as `dashcard clip` of that minute');
  const all = card.segments.flatMap((s) => frameMd5s(s));
  assert.deepEqual(frameMd5s(drive), all, 'the whole drive, frame for frame');
  await dialog.getByRole('button', { name: 'Close the player' }).click();

  // The parking clip, 3 s in: cut from it alone (the drive ended 18 minutes before).
  dialog = await playAt(page, '20241012_180000_U.mp4', 3);
  download = await downloaded(page, 'Save ±30 s around this moment', { timeout: 60000 });
  assert.equal(download.name, 'clip-road-20241012-175933.mp4');
  const parking = path.join(dir, 'around-parking.mp4');
  fs.copyFileSync(download.file, parking);
  const cliParking = path.join(dir, 'cli-around-parking.mp4');
  cliClip(card.image, '2024-10-12T17:59:33', '2024-10-12T18:00:33', cliParking,
    ['--file', 'Nexar/20241012_180000_U.mp4']);
  assert.equal(sha256(parking), sha256(cliParking));
  assert.deepEqual(frameMd5s(parking), frameMd5s(card.parking), 'the parking clip, frame for frame');
  assert.deepEqual(errors, []);
  await context.close();
});
