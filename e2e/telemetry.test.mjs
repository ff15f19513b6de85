// GPS and motion telemetry in the page, on the newer-camera sample card (the same simulation as
// `dashcard simulate --family n1`: the car goes round a circle at 18.2 knots and is hit, 3.2 g,
// 3 s into an SOS recording). The drive with the impact shows its route, speed and G-force
// charts and the impact; clicking the impact seeks the player to it; no request leaves the
// page's own files (no map tiles). Speeds and distances lead with the reader's unit (km/h in
// Germany, mph in the United States). The SOS event links to its impact and plays the drive
// from it; impacts are marked on the day timeline and listed in the print summary. The drive
// player takes only the segments near playback, so the sample's longest drive (56 minutes,
// two cameras, 3.7 GB of padded clips) plays to its end without running out of blob memory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launchBrowser, watchedPage, screenshot } from './support.mjs';

let server;
let browser;

/** Opens the newer-camera sample card and waits for it to be read whole. */
async function openSample(page) {
  await page.goto(server.url, { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Try a newer-camera sample (N1)' }).click();
  await page.getByRole('tab', { name: 'Overview' }).waitFor({ timeout: 60000 });
  await page.waitForFunction(() => !document.querySelector('.durations-progress'), null, { timeout: 60000 });
}

/** Seconds since midnight of the first hh:mm:ss in `text`. */
function clockSeconds(text) {
  const m = text.match(/(\d{2}):(\d{2}):(\d{2})/);
  assert.ok(m, text);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** Waits until the drive player's wall clock is within a second of `wanted`. */
async function playerAt(page, wanted) {
  await page.waitForFunction(
    (wanted) => {
      const m = (document.querySelector('[data-testid=wall-clock]')?.textContent || '').match(/(\d{2}):(\d{2}):(\d{2})/);
      return m && Math.abs(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) - wanted) <= 1;
    },
    wanted,
    { timeout: 10000 },
  );
}

before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('a drive with sidecar logs shows its route, charts and impact, and the impact seeks the player', async () => {
  const { page, context, errors, foreignRequests } = await watchedPage(browser, server, {
    viewport: { width: 1280, height: 1000 },
    locale: 'de-DE',
  });
  await openSample(page);
  await page.getByRole('tab', { name: 'Drives' }).click();
  const drives = page.locator('li.drive');
  const count = await drives.count();
  assert.ok(count >= 1);
  let found = false;
  for (let i = 0; i < count && !found; i++) {
    await drives.nth(i).locator('summary').click();
    await drives.nth(i).getByRole('button', { name: 'Play this drive' }).click();
    await page.locator('[data-testid=telemetry]').waitFor({ timeout: 20000 });
    found = (await page.locator('[data-testid=route-impact]').count()) > 0;
    if (!found) await page.getByRole('button', { name: 'Close the drive player' }).click();
  }
  assert.ok(found, 'a drive of the sample card has an impact on its route');

  // The route: a polyline of one point a second, with start, end and the impact marked.
  const route = await page.evaluate(() => ({
    points: document.querySelector('[data-testid=route-line]').getAttribute('points').trim().split(/\s+/).length,
    start: !!document.querySelector('[data-testid=route-start]'),
    end: !!document.querySelector('[data-testid=route-end]'),
    speed: document.querySelector('[data-testid=speed-chart] polyline').getAttribute('points').trim().split(/\s+/).length,
    g: document.querySelector('[data-testid=g-chart] polyline').getAttribute('points').trim().split(/\s+/).length,
    chartImpacts: document.querySelectorAll('[data-testid=chart-impact]').length,
  }));
  assert.ok(route.points > 100, `${route.points} route points`);
  assert.ok(route.start && route.end);
  assert.equal(route.speed, route.points);
  assert.ok(route.g >= route.points - 5, `${route.g} seconds of G`);
  assert.equal(route.chartImpacts, 1);
  // Distance and speed as simulated: 33.7 km/h, in kilometres first in Germany.
  assert.match(
    await page.locator('[data-testid=telemetry-summary]').innerText(),
    /^\d+\.\d\d km \(\d+\.\d\d mi\), top speed 33\.7 km\/h \(20\.9 mph\)$/,
  );
  assert.match(await page.locator('figcaption', { hasText: 'Speed' }).innerText(), /Speed \(km\/h\)/);

  // The impact: 3.20 g at the simulated speed; clicking it moves the player there.
  const impact = page.locator('[data-testid=impact]');
  assert.equal(await impact.count(), 1);
  const text = await impact.innerText();
  assert.match(text, /3\.20 g · 33\.7 km\/h/);
  await page.getByRole('button', { name: 'Play / pause' }).click();
  await impact.click();
  await playerAt(page, clockSeconds(text));
  // A higher threshold than the jolt leaves no impact.
  // Typed as a visitor types it (the player's keys, "." among them, must leave the field alone).
  await page.getByRole('spinbutton', { name: 'Impact threshold' }).selectText();
  await page.keyboard.type('2.5');
  assert.equal(await page.getByRole('spinbutton', { name: 'Impact threshold' }).inputValue(), '2.5');
  await page.locator('[data-testid=no-impacts]').waitFor({ timeout: 5000 });
  await screenshot(page, 'drive-telemetry');

  await page.getByRole('button', { name: 'Close the drive player' }).click();

  // The longest drive (the sample's recordings are its 13 KB clip padded with zeros to their
  // simulated sizes: real bytes in the blob store): opened, and played from near its end, its
  // last segments load on both cameras.
  const segments = await drives.evaluateAll((items) =>
    items.map((li) => Number((li.querySelector('.drive-segments')?.textContent || '0').match(/\d+/)[0])),
  );
  const longest = segments.indexOf(Math.max(...segments));
  assert.ok(segments[longest] >= 50, `${segments[longest]} segments`);
  // (It may be the drive opened above, still unfolded.)
  await drives.nth(longest).locator('details').evaluate((d) => {
    d.open = true;
  });
  await drives.nth(longest).getByRole('button', { name: 'Play this drive' }).click();
  const scrubber = page.getByRole('slider', { name: 'Position in the drive' });
  await scrubber.waitFor();
  for (const part of [0.25, 0.5, 0.75, 0.98]) {
    await scrubber.evaluate((el, part) => {
      el.value = String(Number(el.max) * part);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, part);
    await page.waitForFunction(
      () => ['drive-road', 'drive-cabin'].every((id) => document.querySelector(`[data-testid=${id}]`)?.readyState >= 1),
      null,
      { timeout: 15000 },
    );
  }

  assert.deepEqual(foreignRequests(), []);
  // Moving a video to another segment abandons the load of the one it left, which Chromium
  // reports as an aborted request of that segment's URL; any other failure (the blob store
  // running out, a segment that cannot load) counts, as does an abort of a URL still playing.
  const playing = await page.evaluate(() => [...document.querySelectorAll('video')].map((v) => v.currentSrc));
  const abandoned = (e) => {
    const m = e.match(/^request failed: (blob:\S+) net::ERR_ABORTED$/);
    return m && !playing.includes(m[1]);
  };
  assert.deepEqual(errors.filter((e) => !abandoned(e)), []);
  await context.close();
});

test('in the United States: the SOS event plays its drive from the impact, in mph; impacts on the timeline and in the print summary', async () => {
  const { page, context, errors, foreignRequests } = await watchedPage(browser, server, {
    viewport: { width: 1280, height: 1000 },
    locale: 'en-US',
  });
  await openSample(page);

  // The day timeline marks the impact, and its drive says it has one.
  await page.getByRole('tab', { name: 'Drives' }).click();
  const marks = page.locator('[data-testid=timeline-impact]');
  assert.equal(await marks.count(), 1);
  assert.match(await marks.first().getAttribute('title'), /^Impact at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: 3\.20 g · 20\.9 mph \(33\.7 km\/h\)/);
  assert.equal(await page.locator('[data-testid=drive-impacts]').count(), 1);
  assert.equal(await page.locator('[data-testid=drive-impacts]').innerText(), '1 impact');

  // Incidents: the SOS event with its impact, in mph first.
  await page.getByRole('tab', { name: 'Incidents' }).click();
  const link = page.locator('[data-testid=incident-impact]');
  assert.equal(await link.count(), 1);
  const text = await link.innerText();
  assert.match(text, /^Impact \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(UTC.\d+\) · 3\.20 g · 20\.9 mph \(33\.7 km\/h\) · -?\d+\.\d{6}, -?\d+\.\d{6}/);
  // The impact lies inside the SOS recording's window (its start and length in the same row).
  const row = link.locator('xpath=ancestor::tr');
  const start = clockSeconds(await row.locator('td').nth(0).innerText());
  const length = (await row.locator('td').nth(2).innerText()).match(/^(\d+) (s|min)$/);
  assert.ok(length);
  const into = clockSeconds(text) - start;
  assert.ok(into >= 0 && into <= Number(length[1]) * (length[2] === 'min' ? 60 : 1), `${into} s into ${length[0]}`);
  // Opening it plays the drive from the impact.
  await link.click();
  await page.locator('[data-testid=wall-clock]').waitFor({ timeout: 10000 });
  await playerAt(page, clockSeconds(text));
  assert.match(await page.locator('[data-testid=telemetry-summary]').innerText(), /mi \(\d+\.\d\d km\), top speed 20\.9 mph \(33\.7 km\/h\)/);
  assert.match(await page.locator('figcaption', { hasText: 'Speed' }).innerText(), /Speed \(mph\)/);

  // The print summary lists the impact: local time with its zone, g, speed, position.
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  const printed = page.locator('[data-testid=print-impact]');
  await printed.first().waitFor({ state: 'attached', timeout: 5000 });
  assert.equal(await printed.count(), 1);
  const cells = await printed.first().locator('td').allTextContents();
  assert.equal(clockSeconds(cells[0]), clockSeconds(text));
  assert.match(cells[0], /\(UTC.\d+\)/);
  assert.equal(cells[1], '3.20 g');
  assert.equal(cells[2], '20.9 mph (33.7 km/h)');
  assert.ok(text.includes(cells[3]), `${cells[3]} in ${text}`);
  await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));

  assert.deepEqual(foreignRequests(), []);
  assert.deepEqual(errors, []);
  await context.close();
});
