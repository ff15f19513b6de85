// The browser benchmark (run by `cargo xtask bench`, not a test): opens card images in the
// built page in Debian's headless Chromium and prints, as JSON, the time from the file being
// chosen to the overview shown and to every duration known, the worker's WebAssembly memory,
// and the main thread's long tasks. With --export-from=IMAGE, on that image it then exports the
// first 10 minutes of the newest drive's road camera as one MP4 through the drive player (mark
// in, mark out, Export clip) and adds the time to the download, its size and the exporting
// worker's WebAssembly memory. With --folder-from=IMAGE (a FAT32 bench image with its
// IMAGE.truth.json beside it), the same card's live files are also written as a card folder of
// sparse files (made once, next to the image: each file's first and last 64 KiB copied from the
// image, the rest a hole) and opened through the folder input: the folder route's figures,
// printed last with "folder": true.
// Usage: node bench-web.mjs [--export-from=IMAGE] [--folder-from=IMAGE] IMAGE [IMAGE...]
import fs from 'node:fs';
import path from 'node:path';
import { serveDist, launchBrowser, watchedPage, chooseFolder } from './support.mjs';

const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const exportFrom = option('export-from');
const folderFrom = option('folder-from');
const images = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (images.length === 0 && !folderFrom) {
  console.error('usage: node bench-web.mjs [--export-from=IMAGE] [--folder-from=IMAGE] IMAGE [IMAGE...]');
  process.exit(2);
}

/** The bytes of a file's clusters as runs [offset, length] in the image, from the FAT. */
function fileRuns(fd, volume, file) {
  const runs = [];
  let cluster = file.first_cluster;
  let left = file.bytes;
  const entry = Buffer.alloc(4);
  while (left > 0 && cluster >= 2 && cluster < 0x0ffffff8) {
    const offset = volume.data + (cluster - 2) * volume.cluster;
    const length = Math.min(left, volume.cluster);
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === offset) last[1] += length;
    else runs.push([offset, length]);
    left -= length;
    fs.readSync(fd, entry, 0, 4, volume.fat + cluster * 4);
    cluster = entry.readUInt32LE(0) & 0x0fffffff;
  }
  return runs;
}

/** Copies `length` bytes at file offset `at` from the image runs into `out`. */
function copyRange(fd, runs, out, at, length) {
  let logical = 0;
  for (const [offset, runLength] of runs) {
    const from = Math.max(at, logical);
    const to = Math.min(at + length, logical + runLength);
    if (from < to) {
      const bytes = Buffer.alloc(to - from);
      fs.readSync(fd, bytes, 0, bytes.length, offset + (from - logical));
      fs.writeSync(out, bytes, 0, bytes.length, from);
    }
    logical += runLength;
  }
}

/** The FAT32 bench image's live files as a card folder of sparse files (made once). */
function cardFolder(image) {
  const folder = path.join(image.replace(/\.img$/, '') + '.folder', 'NEXAR');
  if (fs.existsSync(path.join(folder, '..', 'made'))) return folder;
  fs.rmSync(folder, { recursive: true, force: true });
  const truth = JSON.parse(fs.readFileSync(image.replace(/\.img$/, '.truth.json'), 'utf8'));
  const fd = fs.openSync(image, 'r');
  const boot = Buffer.alloc(512);
  fs.readSync(fd, boot, 0, 512, truth.partition_offset);
  const sector = boot.readUInt16LE(11);
  const fat = truth.partition_offset + boot.readUInt16LE(14) * sector;
  const volume = {
    fat,
    data: fat + boot[16] * boot.readUInt32LE(36) * sector,
    cluster: truth.cluster_bytes,
  };
  const EDGE = 64 * 1024;
  for (const file of truth.files.filter((f) => !f.deleted)) {
    const target = path.join(folder, ...file.path.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const out = fs.openSync(target, 'w');
    fs.ftruncateSync(out, file.bytes);
    const runs = fileRuns(fd, volume, file);
    copyRange(fd, runs, out, 0, Math.min(EDGE, file.bytes));
    if (file.bytes > EDGE) copyRange(fd, runs, out, Math.max(EDGE, file.bytes - EDGE), Math.min(EDGE, file.bytes - EDGE));
    fs.closeSync(out);
    const when = new Date(file.modified + 'Z');
    fs.utimesSync(target, when, when);
  }
  fs.closeSync(fd);
  fs.writeFileSync(path.join(folder, '..', 'made'), '');
  return folder;
}

/** Exports seconds 0–600 of the newest drive's road camera; what it cost. */
async function exportTenMinutes(page) {
  await page.getByRole('tab', { name: 'Drives' }).click();
  await page.locator('.drives-view .toolbar select').selectOption('newest');
  await page.locator('li.drive summary').first().click();
  await page.getByRole('button', { name: 'Play this drive' }).first().click();
  await page.locator('.drive-player').waitFor();
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=drive-road]');
    return v && v.currentTime > 0;
  }, null, { timeout: 60000 });
  await page.getByRole('button', { name: 'Play / pause' }).click();
  await page.locator('input.scrubber').fill('0');
  await page.waitForTimeout(300);
  await page.locator('.drive-player').press('i');
  await page.locator('input.scrubber').fill('600');
  await page.waitForTimeout(300);
  await page.locator('.drive-player').press('o');
  const range = await page.locator('[data-testid=clip-range]').textContent();
  const started = Date.now();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 600000 }),
    page.getByRole('button', { name: 'Export clip' }).click(),
  ]);
  const export_ms = Date.now() - started;
  const file = await download.path();
  const bytes = fs.statSync(file).size;
  fs.rmSync(file, { force: true });
  return {
    export_range: range,
    export_ms,
    export_bytes: bytes,
    export_worker_memory_bytes: Number(await page.evaluate(() => document.body.dataset.clipWorkerMemory || 0)),
  };
}
const server = await serveDist();
const browser = await launchBrowser();
const results = [];
/** Opens `source` (an image, or a folder when `folder`) and times it from the card being opened. */
async function openAndTime(source, folder) {
  const { page, context, errors } = await watchedPage(browser, server, { viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(server.url, { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Open card image' }).waitFor({ timeout: 20000 });
  const chosen = Date.now();
  if (folder) await chooseFolder(page, source);
  else await page.locator('[data-testid=image-input]').setInputFiles(source);
  await page.waitForFunction(
    () => performance.getEntriesByName('dashcard:durations-shown').length > 0 || document.querySelector('[role=alert]'),
    null,
    { timeout: 600000, polling: 50 },
  );
  const r = await page.evaluate(() => {
    const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
    const open = at('dashcard:open');
    // Every task running at or after the open (a folder is opened inside the input's own task).
    const tasks = window.__longTasks.filter((t) => open !== null && t.start + t.duration > open);
    return {
      failed: document.querySelector('[role=alert]')?.innerText ?? null,
      overview_ms: at('dashcard:overview-shown') - open,
      listed_ms: at('dashcard:listed') - open,
      durations_ms: at('dashcard:durations-shown') - open,
      // Where the time goes: the helper started, the telemetry and the complete card arrived.
      helper_ms: at('dashcard:helper') - open,
      telemetry_ms: at('dashcard:telemetry') - open,
      done_ms: at('dashcard:done') - open,
      worker_memory_bytes: Number(document.body.dataset.workerMemory || 0),
      long_tasks: tasks.length,
      longest_task_ms: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
    };
  });
  // From the input's files set (the page collects a folder's files before it opens the card).
  r.chosen_to_durations_ms = Date.now() - chosen;
  return { page, context, errors, r };
}

try {
  for (const image of images) {
    const { page, context, errors, r } = await openAndTime(image, false);
    const exported = image === exportFrom && !r.failed ? await exportTenMinutes(page) : {};
    results.push({ image, ...r, ...exported, errors });
    await context.close();
  }
  if (folderFrom) {
    const folder = cardFolder(folderFrom);
    const { context, errors, r } = await openAndTime(folder, true);
    results.push({ image: folder, folder: true, ...r, errors });
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(results, null, 2));
