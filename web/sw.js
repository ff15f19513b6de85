// Dashcard's service worker: keeps the page's own files so that after one visit the page opens
// and reads cards with no network at all (at a roadside, on a laptop offline), and can be
// installed as an app. It sits next to index.html, so its scope is wherever the page is hosted
// (a domain root or a GitHub Pages sub-path such as /REPO/).
//
// Network first: online, every file comes from the server (an update takes effect on the next
// load at the latest) and the copy kept is refreshed; offline, the kept copy answers. Nothing
// but the page's own origin is fetched or kept: cards are read from local files, never here.
const CACHE = 'dashcard';
const ROOT = new URL('./', self.location).href;
// Files the page loads later (the card reader worker, the sample clips) or that are not named
// in index.html; the rest are read from index.html itself.
const ALSO = ['worker-boot.js', 'boot.js', 'manifest.webmanifest',
  'favicon.svg', 'sample-clip.mp4', 'sample-clip-fragmented.mp4'];

async function keep(cache, url) {
  try {
    const response = await fetch(url, { cache: 'no-cache' });
    if (response.ok && response.status === 200) await cache.put(url, response);
  } catch (_) {
    // Offline while installing: the file is kept the next time it is fetched.
  }
}

/** The page's own files: those `html` (an index.html) names, and the ALSO list. */
function filesOf(html) {
  const urls = new Set(ALSO.map((u) => new URL(u, ROOT).href));
  for (const m of html.matchAll(/(?:href|src|data-js|data-wasm)="([^"]+)"/g)) {
    const url = new URL(m[1], ROOT);
    if (url.origin === self.location.origin && url.href.startsWith(ROOT)) urls.add(url.href);
  }
  return urls;
}

async function keepAll() {
  const cache = await caches.open(CACHE);
  const page = await fetch(ROOT, { cache: 'no-cache' });
  const html = await page.clone().text();
  await cache.put(ROOT, page);
  await Promise.all([...filesOf(html)].map((u) => keep(cache, u)));
}

// Each release names new hashed files (the wasm, its JS, the CSS): once a new index.html is in,
// the files it no longer names go, so the kept copy is one release, not every release so far.
async function prune(cache, html) {
  const current = filesOf(html);
  current.add(ROOT);
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    url.search = '';
    if (!current.has(url.href)) await cache.delete(request);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(keepAll().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

async function answer(request, later) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    // Whole files only: a range answer (a video seeking) is not a file to keep.
    if (response.ok && response.status === 200 && !request.headers.has('range')) {
      if (request.mode === 'navigate') {
        const page = response.clone();
        later(page.clone().text().then(async (html) => {
          await cache.put(ROOT, page);
          await prune(cache, html);
        }));
      } else {
        await cache.put(request, response.clone());
      }
    }
    return response;
  } catch (offline) {
    const kept = await cache.match(request.mode === 'navigate' ? ROOT : request, { ignoreSearch: true });
    if (kept) return kept;
    throw offline;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || !request.url.startsWith(ROOT)) return;
  event.respondWith(answer(request, (work) => event.waitUntil(work)));
});
