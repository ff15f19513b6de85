// Opening cards in the built page, under a sub-path, in Debian's Chromium: a card written by
// mtools with ffmpeg clips, simulated cameras, the same card as a folder, a corrupt image and
// the sample card. The page must show what `dashcard report --json` finds on the same input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { serveDist, launchBrowser, watchedPage, screenshot, chooseFolder, downloaded, cardShown } from './support.mjs';
import { tempDir, realCard, realCardWithTruth, corruptCard, folderOf, simulatedCard, garbageImage, cliReport, cliReportText } from './fixtures.mjs';

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

async function openPage() {
  const watched = await watchedPage(browser, server, { viewport: { width: 1280, height: 900 } });
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

/** What the page shows, read from its views. */
async function shown(page) {
  await tab(page, 'Overview');
  const headline = (await page.locator('.headline').innerText()).trim();
  const family = (await page.locator('.family-name').innerText()).trim();
  await tab(page, 'Drives');
  const drives = await page.locator('li.drive').count();
  const partly = await page.locator('li.drive .badge.partly').count();
  await tab(page, 'Incidents');
  const incidents = await page.locator('table.incidents tbody tr').count();
  await tab(page, 'Overview');
  return { headline, family, drives, partly, incidents };
}

function expected(report) {
  return {
    headline: report.estimate.headline,
    family: report.family.name + (report.family.dual_camera ? ' (road + cabin)' : ''),
    drives: report.drives.length,
    partly: report.drives.filter((d) => d.partly_overwritten).length,
    // Every incident the card has evidence of: live, recoverable or lost (issue 16).
    incidents: report.files.filter((f) => f.kind === 'parking' || f.kind === 'event').length,
  };
}

/** The overview's card facts ("Drives", "Incidents", …) by their labels, and the legend's free space. */
async function overviewFacts(page) {
  await tab(page, 'Overview');
  const facts = {};
  for (const row of await page.locator('dl.card-facts > div').all()) {
    // textContent: the labels are upper-cased by CSS, which innerText would report.
    facts[(await row.locator('dt').textContent()).trim()] = (await row.locator('dd').innerText()).trim();
  }
  const free = (await page.locator('figure.capacity li', { hasText: 'Free' }).innerText()).trim();
  return { facts, free };
}

test('a card written by mtools with ffmpeg clips shows the drives, parking incident and family the CLI finds', async () => {
  const { image, truth } = realCardWithTruth(dir);
  const want = cliReport(image);
  assert.equal(want.drives.length, 2);
  const { page, context, errors, foreignRequests } = await openPage();
  await openImage(page, image);
  assert.deepEqual(await shown(page), expected(want));
  // The headline figures against what the card holds by construction, mtools and ffprobe (not
  // against the CLI, which shares the page's core).
  const { facts, free } = await overviewFacts(page);
  assert.equal(facts.Drives, `${truth.drives} drive(s), ${Math.round(truth.drivingSeconds)} s of driving`);
  // The card's incidents (parking clips and SOS events) are all still on it.
  const incidents = truth.parking + truth.events;
  assert.equal(facts.Incidents, `${incidents} incident${incidents === 1 ? '' : 's'}: ${incidents} on the card`);
  assert.equal(facts['Deleted entries'], `${truth.deleted} (${truth.recoverable} still recoverable)`);
  const [, mb] = free.match(/Free\s+([\d.]+) MB/) ?? [];
  assert.ok(Math.abs(Number(mb) - truth.freeBytes / 1e6) <= 0.05, `free ${free} vs mdir ${truth.freeBytes} B`);
  await screenshot(page, 'card-overview');
  await tab(page, 'Drives');
  await page.locator('li.drive summary').first().click();
  await page.locator('table.segments tbody tr').first().waitFor();
  assert.equal(await page.locator('table.segments tbody tr').count(), want.drives[0].segments);
  await screenshot(page, 'card-drives');
  await tab(page, 'Incidents');
  await screenshot(page, 'card-incidents');
  await tab(page, 'Files');
  const body = await page.locator('table.files').innerText();
  assert.match(body, /20241011_200000_1\.mp4/, 'the deleted clip is listed');
  assert.match(body, /deleted, (recoverable|lost)/);
  assert.equal(await page.locator('table.files tbody tr').count(), want.files.length);
  await screenshot(page, 'card-files');
  await tab(page, 'Estimates');
  await screenshot(page, 'card-estimates');
  assert.deepEqual(foreignRequests(), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a clip whose header claims 4.3e9 s is left out, and the overview says how many were', async () => {
  const image = corruptCard(tempDir());
  const want = cliReport(image);
  assert.equal(want.estimate.excluded_files, 1);
  const { page, context, errors } = await openPage();
  await openImage(page, image);
  assert.deepEqual(await shown(page), expected(want));
  const excluded = (await page.locator('.card-facts .excluded').innerText()).trim();
  assert.match(excluded, /^1 file\(s\) whose size or duration cannot be true/);
  assert.doesNotMatch(await page.locator('.card-facts').innerText(), /4294967280|1193046/);
  await tab(page, 'Files');
  await page.getByRole('combobox', { name: 'Which files' }).selectOption('problems');
  const body = await page.locator('table.files').innerText();
  assert.match(body, /20241012_075702_1\.mp4/);
  assert.match(body, /its header claims 4294967280 s, more than a day: left out of the totals and the estimate/);
  await screenshot(page, 'card-excluded');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the same card opened as a folder through the folder input gives the same catalog', async () => {
  const image = realCard(tempDir());
  const folder = folderOf(image, tempDir());
  const fromImage = cliReport(image);
  const { page, context, errors } = await openPage();
  await chooseFolder(page, folder);
  await cardShown(page);
  // A folder does not tell the card's size: the page asks for it.
  const size = page.getByRole('combobox', { name: 'Card size' }).first();
  await size.selectOption('8');
  const got = await shown(page);
  const want = expected(fromImage);
  assert.equal(got.family, want.family);
  assert.equal(got.drives, want.drives);
  assert.equal(got.incidents, want.incidents);
  await screenshot(page, 'folder-overview');
  await tab(page, 'Files');
  // No deleted entries in a folder; every live file is there.
  assert.equal(
    await page.locator('table.files tbody tr').count(),
    fromImage.files.filter((f) => !f.deleted).length,
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('a simulated NEXC1 card shows its sos folder, and what-if inputs change the estimate', async () => {
  const image = simulatedCard(dir, 'nexc1', '8G', 5);
  const want = cliReport(image);
  const { page, context, errors } = await openPage();
  await openImage(page, image);
  assert.deepEqual(await shown(page), expected(want));
  assert.match(await page.locator('.evidence').innerText(), /sos/);
  await tab(page, 'Incidents');
  assert.match(await page.locator('table.incidents').innerText(), /sos folder/);
  await tab(page, 'Estimates');
  await page.getByRole('spinbutton', { name: 'Driving per day in hours' }).fill('6');
  await tab(page, 'Overview');
  const whatIf = cliReport(image, ['--driving-hours-per-day', '6']);
  assert.equal((await page.locator('.headline').innerText()).trim(), whatIf.estimate.headline);
  await screenshot(page, 'nexc1-overview');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a corrupt image ends in an error panel, and the page stays usable', async () => {
  const { page, context, errors } = await openPage();
  await page.locator('[data-testid=image-input]').setInputFiles(garbageImage(dir));
  const panel = page.getByRole('alert');
  await panel.waitFor({ timeout: 30000 });
  assert.match(await panel.innerText(), /could not be read/i);
  assert.match(await panel.innerText(), /does not look like a card image/);
  await screenshot(page, 'error-panel');
  await page.getByRole('button', { name: 'Try a sample card' }).click();
  await cardShown(page);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the sample card opens, with every view', async () => {
  const { page, context, errors, foreignRequests } = await openPage();
  await page.getByRole('button', { name: 'Try a sample card' }).click();
  await cardShown(page);
  const s = await shown(page);
  assert.match(s.family, /Nexar Pro or Beam/);
  assert.ok(s.drives >= 2, `drives shown: ${s.drives}`);
  assert.match(s.headline, /oldest footage/i);
  await screenshot(page, 'sample-overview');
  for (const name of ['Drives', 'Incidents', 'Files', 'Estimates']) {
    await tab(page, name);
    await screenshot(page, `sample-${name.split(' ')[0].toLowerCase()}`);
  }
  // Its clips are real recordings: one plays.
  await tab(page, 'Files');
  await page.getByRole('combobox', { name: 'Which files' }).selectOption('live');
  await page.getByRole('button', { name: /^Play / }).first().click();
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=player-video]');
    return v && v.currentTime > 0.5 && !v.error;
  }, null, { timeout: 30000 });
  await screenshot(page, 'sample-player');
  // The player is a dialog over the page: Escape closes it.
  await page.keyboard.press('Escape');
  // Keyboard: arrows move between the tabs.
  await tab(page, 'Estimates');
  await page.getByRole('tab', { name: 'Estimates' }).focus();
  await page.keyboard.press('ArrowRight');
  await page.getByRole('tab', { name: 'Overview', selected: true }).waitFor();
  assert.deepEqual(foreignRequests(), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a card with many clips has its headers shared with helper workers, and its JSON report is what the CLI prints', async () => {
  const image = simulatedCard(tempDir(), 'pro', '8G', 4);
  const want = cliReport(image);
  assert.ok(want.files.filter((f) => f.video).length >= 64, 'enough clips to split the header reads');
  const { page, context, errors } = await openPage();
  await openImage(page, image);
  assert.ok(await page.evaluate(() => performance.getEntriesByName('dashcard:helper').length === 1), 'a helper read a share of the headers');
  const download = await downloaded(page, 'Download report (JSON)');
  assert.equal(fs.readFileSync(download.file, 'utf8'), cliReportText(image));
  assert.deepEqual(errors, []);
  await context.close();
});

test('spare workers read cards: a card opened twice in a row gets its helpers from them, and one replaced while it reads leaves the next complete', async () => {
  const image = simulatedCard(tempDir(), 'pro', '8G', 4);
  const report = cliReportText(image);
  const { page, context, errors } = await openPage();
  const marks = (name) => page.evaluate((n) => performance.getEntriesByName(n).length, name);
  // The page starts a reader and its three helpers ahead (the first with the page, the rest
  // once it is ready).
  await page.waitForFunction(() => document.body.dataset.spareWorkers === '4', null, { timeout: 20000 });
  await openImage(page, image);
  assert.equal(await marks('dashcard:helper-from-pool'), 3, 'the first card took its helpers from the spares');
  assert.equal(await marks('dashcard:helper'), 1, 'a helper read a share of the headers');
  // Opened again at once: the spares started after the first card are still starting.
  await openImage(page, image);
  assert.equal(await marks('dashcard:helper-from-pool'), 3, 'the second card took its helpers from the spares');
  assert.equal(await marks('dashcard:helper'), 1);
  assert.equal(fs.readFileSync((await downloaded(page, 'Download report (JSON)')).file, 'utf8'), report);
  // A card replaced while it is read (its workers go with it): the next one is read whole.
  await page.locator('[data-testid=image-input]').setInputFiles(image);
  await page.getByRole('tab', { name: 'Overview' }).waitFor({ timeout: 60000 });
  await openImage(page, image);
  assert.equal(await marks('dashcard:helper'), 1);
  assert.equal(fs.readFileSync((await downloaded(page, 'Download report (JSON)')).file, 'utf8'), report);
  assert.deepEqual(errors, []);
  await context.close();
});
