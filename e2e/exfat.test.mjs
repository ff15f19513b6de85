// exFAT cards in the page, as a Nexar N1 formats cards over 32 GB: a simulated camera's card
// shows the drives, parking incidents and family the CLI finds; real clips on exFAT play,
// download and recover with their own bytes — zeros past what was written, never the older
// recording beneath — and a drive saves as a zip of exactly those bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { serveDist, launchBrowser, screenshot, downloaded, openImageCard } from './support.mjs';
import { tempDir, exfatCard, exfatClipsCard, cliReport, cliReportText, cliCat } from './fixtures.mjs';

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

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

async function openImage(image) {
  return openImageCard(browser, server, image);
}

async function tab(page, name) {
  await page.getByRole('tab', { name }).click();
  await page.getByRole('tab', { name, selected: true }).waitFor();
}

/** A ZIP's entries and their SHA-256, as Python's zipfile reads them (fails on a bad CRC). */
function zipEntries(file) {
  const out = execFileSync('python3', ['-c',
    'import sys, zipfile, hashlib\n' +
    'z = zipfile.ZipFile(sys.argv[1])\n' +
    'assert z.testzip() is None\n' +
    'for i in z.infolist(): print(i.filename, hashlib.sha256(z.read(i)).hexdigest())',
    file]).toString().trim();
  return out.split('\n').map((line) => line.split(' '));
}

test('a simulated exFAT card opens and shows the drives, parking incidents and family the CLI finds', async () => {
  const image = exfatCard(dir, 'pro', '64G', 3);
  const want = cliReport(image);
  assert.equal(want.volume.filesystem, 'exFAT');
  assert.ok(want.drives.length >= 3, `drives: ${want.drives.length}`);
  const { page, context, errors, foreignRequests } = await openImage(image);
  assert.match(await page.locator('.source-line').innerText(), /exFAT/);
  assert.equal((await page.locator('.headline').innerText()).trim(), want.estimate.headline);
  assert.equal(
    (await page.locator('.family-name').innerText()).trim(),
    want.family.name + (want.family.dual_camera ? ' (road + cabin)' : ''),
  );
  await screenshot(page, 'exfat-overview');
  await tab(page, 'Drives');
  assert.equal(await page.locator('li.drive').count(), want.drives.length);
  await page.locator('li.drive summary').first().click();
  await page.locator('table.segments tbody tr').first().waitFor();
  assert.equal(await page.locator('table.segments tbody tr').count(), want.drives[0].segments);
  await screenshot(page, 'exfat-drives');
  await tab(page, 'Incidents');
  assert.equal(await page.locator('table.incidents tbody tr').count(),
    want.files.filter((f) => f.kind === 'parking' || f.kind === 'event').length);
  await tab(page, 'Overview');
  const download = await downloaded(page, 'Download report (JSON)');
  assert.equal(fs.readFileSync(download.file, 'utf8'), cliReportText(image));
  assert.deepEqual(foreignRequests(), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('real clips on exFAT play, download, recover and zip with their own bytes', async () => {
  const card = exfatClipsCard(dir);
  const report = cliReport(card.image);
  const file = (p) => report.files.find((f) => f.path === p);
  assert.ok(file('video/20241012_075700A.mp4').fragments >= 2, 'the road clip is fragmented');
  const cut = cliCat(card.image, 'video/20241012_075800A.mp4');
  const road = fs.readFileSync(card.road);
  assert.ok(cut.length > road.length);
  assert.ok(cut.subarray(0, road.length).equals(road), 'the cut clip starts with what was written');
  assert.ok(cut.subarray(road.length).every((b) => b === 0), 'and reads as zeros after it');

  const { page, context, errors, foreignRequests } = await openImage(card.image);
  await tab(page, 'Files');
  await page.getByRole('button', { name: 'Play 20241012_075700A.mp4' }).click();
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=player-video]');
    return v && v.currentTime > 0.5;
  }, null, { timeout: 30000 });
  const state = await page.evaluate(() => {
    const v = document.querySelector('[data-testid=player-video]');
    return { error: v.error && v.error.message, duration: v.duration };
  });
  assert.equal(state.error, null);
  assert.ok(Math.abs(state.duration - 4) < 0.2, `duration ${state.duration}`);
  await screenshot(page, 'exfat-player');
  // The player is a dialog over the page: Escape closes it.
  await page.keyboard.press('Escape');

  const fragmented = await downloaded(page, 'Download 20241012_075700A.mp4');
  assert.equal(sha256(fs.readFileSync(fragmented.file)), sha256(road));
  const zeros = await downloaded(page, 'Download 20241012_075800A.mp4');
  assert.equal(sha256(fs.readFileSync(zeros.file)), sha256(cut), 'zeros past the valid length');
  const recovered = await downloaded(page, 'Recover 20241012_080000A.mp4');
  assert.equal(sha256(fs.readFileSync(recovered.file)), sha256(fs.readFileSync(card.deleted)));

  await tab(page, 'Drives');
  await page.locator('li.drive summary').first().click();
  const zip = await downloaded(page, 'Save this drive (zip)');
  const entries = new Map(zipEntries(zip.file).map(([name, digest]) => [name.split('/').pop(), digest]));
  assert.equal(entries.get('20241012_075700A.mp4'), sha256(road));
  assert.equal(entries.get('20241012_075700B.mp4'), sha256(fs.readFileSync(card.cabin)));
  assert.equal(entries.get('20241012_075800A.mp4'), sha256(cut));
  // The worker's SHA-256 record covers the same bytes.
  await page.getByRole('status').filter({ hasText: 'SHA-256' }).waitFor();
  assert.deepEqual(foreignRequests(), []);
  assert.deepEqual(errors, []);
  await context.close();
});
