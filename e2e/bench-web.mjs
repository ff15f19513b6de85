// The browser benchmark (run by `cargo xtask bench`, not a test): opens card images in the
// built page in Debian's headless Chromium and prints, as JSON, the time from the file being
// chosen to the overview shown and to every duration known, the worker's WebAssembly memory,
// and the main thread's long tasks. With --export-from=IMAGE, on that image it then exports the
// first 10 minutes of the newest drive's road camera as one MP4 through the drive player (mark
// in, mark out, Export clip) and adds the time to the download, its size and the exporting
// worker's WebAssembly memory. Usage: node bench-web.mjs [--export-from=IMAGE] IMAGE [IMAGE...]
import fs from 'node:fs';
import { serveDist, launchBrowser, watchedPage } from './support.mjs';

const exportFrom = process.argv.find((a) => a.startsWith('--export-from='))?.split('=')[1];
const images = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (images.length === 0) {
  console.error('usage: node bench-web.mjs [--export-from=IMAGE] IMAGE [IMAGE...]');
  process.exit(2);
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
try {
  for (const image of images) {
    const { page, context, errors } = await watchedPage(browser, server, { viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await page.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(server.url, { waitUntil: 'load' });
    await page.getByRole('button', { name: 'Open card image' }).waitFor({ timeout: 20000 });
    await page.locator('[data-testid=image-input]').setInputFiles(image);
    await page.waitForFunction(
      () => performance.getEntriesByName('dashcard:durations-shown').length > 0 || document.querySelector('[role=alert]'),
      null,
      { timeout: 600000, polling: 50 },
    );
    const r = await page.evaluate(() => {
      const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
      const open = at('dashcard:open');
      const tasks = window.__longTasks.filter((t) => open !== null && t.start >= open);
      return {
        failed: document.querySelector('[role=alert]')?.innerText ?? null,
        overview_ms: at('dashcard:overview-shown') - open,
        listed_ms: at('dashcard:listed') - open,
        durations_ms: at('dashcard:durations-shown') - open,
        worker_memory_bytes: Number(document.body.dataset.workerMemory || 0),
        long_tasks: tasks.length,
        longest_task_ms: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
      };
    });
    const exported = image === exportFrom && !r.failed ? await exportTenMinutes(page) : {};
    results.push({ image, ...r, ...exported, errors });
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(results, null, 2));
