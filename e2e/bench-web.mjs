// The browser benchmark (run by `cargo xtask bench`, not a test): opens card images in the
// built page in Debian's headless Chromium and prints, as JSON, the time from the file being
// chosen to the overview shown and to every duration known, the worker's WebAssembly memory,
// and the main thread's long tasks. Usage: node bench-web.mjs IMAGE [IMAGE...]
import { serveDist, launchBrowser, watchedPage } from './support.mjs';

const images = process.argv.slice(2);
if (images.length === 0) {
  console.error('usage: node bench-web.mjs IMAGE [IMAGE...]');
  process.exit(2);
}
const server = await serveDist();
const browser = await launchBrowser();
const results = [];
try {
  for (const image of images) {
    const { page, context, errors } = await watchedPage(browser, server, { viewport: { width: 1280, height: 900 } });
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
    results.push({ image, ...r, errors });
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(results, null, 2));
