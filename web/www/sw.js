// The service worker: keeps the app shell (every file of the build) so the app opens and works
// with no network after the first visit. web/build.mjs fills in the list and the shell's hash;
// each build's worker differs, so a browser installs the new one, which fetches the new files
// and then drops the old cache. Requests to the relay's API (/v1/...) and anything not in the
// shell go to the network untouched: the store in the page's worker handles being offline.
const SHELL = '__SHELL__';
const FILES = [/* __FILES__ */];
const CACHE = `trellis-shell-${SHELL}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload`: past the browser's HTTP cache, so the shell is this build's files.
      await cache.addAll(FILES.map((f) => new Request(f, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('trellis-shell-') && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/v1/')) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match(url.pathname === '/' ? './' : event.request, { ignoreSearch: true });
      return hit ?? fetch(event.request);
    })(),
  );
});
