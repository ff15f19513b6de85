import { serveDist, launchBrowser, watchedPage, chooseFolder } from './support.mjs';
const folder = process.argv[2];
const server = await serveDist();
const browser = await launchBrowser();
try {
  const { page, context } = await watchedPage(browser, server, { viewport: { width: 1280, height: 900 } });
  const logs = [];
  page.on('console', (m) => { if (m.text().startsWith('PROBE')) logs.push(m.text()); });
  page.on('worker', (w) => w.on('console', (m) => { if (m.text().startsWith('PROBE')) logs.push(m.text()); }));
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration }); }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(server.url, { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Open card image' }).waitFor({ timeout: 20000 });
  await chooseFolder(page, folder);
  await page.waitForFunction(() => performance.getEntriesByName('dashcard:durations-shown').length > 0 || document.querySelector('[role=alert]'), null, { timeout: 600000, polling: 50 });
  const r = await page.evaluate(() => ({ origin: performance.timeOrigin, marks: performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]), tasks: window.__longTasks, helpers: document.body.dataset.helpers }));
  const open = r.marks.find((m) => m[0] === 'dashcard:open')[1];
  const ev = [];
  for (const [n, t] of r.marks) ev.push([t - open, n]);
  for (const t of r.tasks) ev.push([t.start - open, `LONGTASK ${Math.round(t.duration)}ms`]);
  for (const l of logs) { const [, ms, ...w] = l.split(' '); ev.push([Number(ms) - r.origin - open, w.join(' ')]); }
  ev.sort((a, b) => a[0] - b[0]);
  for (const [t, n] of ev) console.log(String(Math.round(t)).padStart(7), n);
  console.log('helpers', r.helpers);
  await context.close();
} finally { await browser.close(); await server.close(); }
