// A card of the newer Nexar generation (Beam 2K, Zero, N1) made by real tools, opened in the
// built page: UTC names shown in the camera's zone, the SOS event under Incidents, thumbnails,
// the camera's own record, an encrypted clip that plays once the factory default key opened it
// and downloads as its plaintext (SHA-256 on record), local times with the offset in the CSV,
// a wrong typed key that says so and a right one that opens the rest, and the JSON report equal
// to `dashcard report --json`. Then the newer-camera sample card.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { serveDist, launchBrowser, watchedPage, screenshot, downloaded, cardShown, openImageCard } from './support.mjs';
import { tempDir, newerCard, cliReport, cliReportText, OWNER_KEY } from './fixtures.mjs';

let server;
let browser;
let dir;
let card;

before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
  dir = tempDir();
  card = newerCard(dir);
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function openCard() {
  return openImageCard(browser, server, card.image);
}

async function tab(page, name) {
  await page.getByRole('tab', { name }).click();
  await page.getByRole('tab', { name, selected: true }).waitFor();
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function plays(page) {
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=player-video]');
    return v && v.currentTime > 0.5 && !v.error;
  }, null, { timeout: 30000 });
}

test('a newer-camera card shows its SOS event in local time, its camera and thumbnails, and plays an encrypted clip', async () => {
  const want = cliReport(card.image);
  assert.equal(want.family.code, 'n1');
  assert.equal(want.time_zone.utc_offset_s, -18000);
  const { page, context, errors, foreignRequests } = await openCard();
  assert.equal((await page.locator('.family-name').innerText()).trim(), 'Nexar N1 (built-in + second camera)');
  assert.match(await page.locator('.camera-info').innerText(), /N1SERIAL77.*v1\.4\.2/);
  assert.match(await page.locator('.card-header .local-time').innerText(), /UTC−5/);
  await screenshot(page, 'newer-overview');

  // The SOS event under Incidents, at 17:30 camera time (22:30 UTC in its name).
  await tab(page, 'Incidents');
  const rows = page.locator('table.incidents tbody tr');
  assert.equal(await rows.count(), want.parking.length + want.events.length);
  const event = rows.filter({ hasText: '20241012_223000A_SOS.mp4' });
  assert.match(await event.innerText(), /SOS event/);
  assert.match(await event.innerText(), /2024-10-12 17:30:00 \(UTC−5\)/);
  // Named after the segment under way, not the moment (the firmware's naming): the page says so.
  assert.match(await page.locator('.sos-time-note').innerText(), /names an SOS clip after the recording segment under way/);
  await screenshot(page, 'newer-incidents');

  // Thumbnails beside a drive's segments, from their .thumb sidecars.
  await tab(page, 'Drives');
  await page.locator('li.drive summary').first().click();
  await page.locator('table.segments img.thumb').first().waitFor();
  assert.ok(await page.locator('table.segments img.thumb').first().evaluate((img) => img.complete && img.naturalWidth > 0));
  await screenshot(page, 'newer-drives');

  // The clip encrypted with the factory default key plays (decrypted in the worker).
  await tab(page, 'Files');
  await page.getByRole('button', { name: 'Play 20241012_223500A.mp4' }).click();
  await plays(page);
  await screenshot(page, 'newer-encrypted-plays');
  // The player is a dialog over the page: Escape closes it.
  await page.keyboard.press('Escape');
  // The photo is viewable.
  await page.getByRole('button', { name: 'View 20241012_223000A.jpg' }).click();
  await page.locator('[data-testid=player-photo]').waitFor();
  await page.keyboard.press('Escape');
  // Downloaded, the encrypted clip is its plaintext (decrypted as it goes out; the card is
  // untouched), and the plaintext's SHA-256 is what goes on record.
  const clip = await downloaded(page, 'Download 20241012_223500A.mp4');
  assert.equal(clip.name, '20241012_223500A.mp4');
  const plainSha = sha256(card.plain['video/20241012_223500A.mp4']);
  assert.equal(sha256(clip.file), plainSha);
  await page.getByRole('status').filter({ hasText: 'SHA-256' }).waitFor();
  await page.evaluate(() => { window.print = () => { window.__printed = true; }; });
  await page.getByRole('button', { name: 'Print summary' }).click();
  await page.waitForFunction(() => window.__printed === true);
  assert.ok((await page.locator('[data-testid=print-summary]').textContent()).includes(plainSha));
  // The CSV gives local times with the camera's offset, and UTC beside them.
  const csv = fs.readFileSync((await downloaded(page, 'Recordings (CSV)')).file, 'utf8').trim().split('\n');
  const header = csv[0].split(',');
  const sos = csv.find((l) => l.startsWith('sos/20241012_223000A_SOS.mp4,')).split(',');
  assert.equal(sos[header.indexOf('kind')], 'event');
  assert.equal(sos[header.indexOf('start')], '2024-10-12T17:30:00-05:00');
  assert.equal(sos[header.indexOf('start_utc')], '2024-10-12T22:30:00Z');

  // The JSON report is byte for byte what the CLI prints.
  const download = await downloaded(page, 'Download report (JSON)');
  assert.equal(fs.readFileSync(download.file, 'utf8'), cliReportText(card.image));
  assert.deepEqual(foreignRequests(), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a wrong typed key says so; the owner key opens the rest, which then play', async () => {
  const { page, context, errors } = await openCard();
  const prompt = page.getByRole('region', { name: 'Some recordings are encrypted by the camera' });
  await prompt.waitFor();
  const input = page.getByLabel('Camera key');
  await input.fill('00112233445566778899aabbccddeeff');
  await page.getByRole('button', { name: 'Use this key' }).click();
  const alert = prompt.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /does not open/);
  await input.fill('short');
  await page.getByRole('button', { name: 'Use this key' }).click();
  assert.match(await alert.innerText(), /32 characters/);
  await screenshot(page, 'newer-wrong-key');
  await input.fill(OWNER_KEY);
  await page.getByRole('button', { name: 'Use this key' }).click();
  await cardShown(page);
  await page.waitForFunction(() => !document.querySelector('.key-prompt'), null, { timeout: 60000 });
  // The key is in no URL and nowhere in the page's text.
  assert.ok(!page.url().includes(OWNER_KEY));
  assert.ok(!(await page.content()).includes(OWNER_KEY));
  await tab(page, 'Files');
  await page.getByRole('button', { name: 'Play 20241012_223600A.mp4' }).click();
  await plays(page);
  // The player is a dialog over the page: Escape closes it.
  await page.keyboard.press('Escape');
  const clip = await downloaded(page, 'Download 20241012_223700A.mp4');
  assert.equal(sha256(clip.file), sha256(card.plain['video/20241012_223700A.mp4']));
  assert.deepEqual(errors, []);
  await context.close();
});

test('the newer-camera sample card opens with its events, photos and a locked clip', async () => {
  const { page, context, errors } = await watchedPage(browser, server, { viewport: { width: 1280, height: 900 } });
  await page.goto(server.url, { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Try a newer-camera sample (N1)' }).click();
  await cardShown(page);
  assert.match(await page.locator('.family-name').innerText(), /Nexar N1/);
  assert.match(await page.locator('.headline').innerText(), /UTC−5/);
  await tab(page, 'Incidents');
  assert.ok(await page.locator('table.incidents tbody tr').count() >= 1);
  await screenshot(page, 'newer-sample-incidents');
  await tab(page, 'Files');
  await page.getByRole('combobox', { name: 'Which files' }).selectOption('live');
  await page.getByRole('button', { name: /^Play / }).first().click();
  await plays(page);
  assert.deepEqual(errors, []);
  await context.close();
});
