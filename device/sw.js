// The kiosk's service worker: keeps the app shell (index, JS, wasm, CSS) so the
// terminal starts — and restarts — while the server is unreachable. Network
// first (a new release is picked up at once), the cache when the network fails
// or is slower than 4 s. API calls (/device/api/) are never cached: the app
// keeps its own queue and its last known setup in localStorage.
const CACHE = 'haocha-kiosk-v1';
const SCOPE = new URL('./', self.location).pathname; // /device/app/

async function precache() {
  const cache = await caches.open(CACHE);
  const res = await fetch(SCOPE, { cache: 'no-store' });
  if (!res.ok) throw new Error('shell ' + res.status);
  const html = await res.clone().text();
  await cache.put(SCOPE, res);
  const urls = new Set();
  for (const m of html.matchAll(/(?:href|src)=["']([^"']+)["']|['"]([^'"]+\.(?:js|wasm|css|json))['"]/g)) {
    const u = new URL(m[1] || m[2], self.location);
    if (u.origin === self.location.origin && u.pathname.startsWith(SCOPE) && u.pathname !== SCOPE) urls.add(u.pathname);
  }
  await cache.addAll([...urls].map((u) => new Request(u, { cache: 'no-store' })));
}

self.addEventListener('install', (e) => e.waitUntil(precache().then(() => self.skipWaiting())));
self.addEventListener('activate', (e) => e.waitUntil((async () => {
  for (const k of await caches.keys()) if (k !== CACHE) await caches.delete(k);
  await self.clients.claim();
})()));

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms));
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) return;
  const key = req.mode === 'navigate' ? SCOPE : url.pathname;
  e.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const res = await Promise.race([fetch(req), timeout(4000)]);
      if (res.ok) await cache.put(key, res.clone());
      return res;
    } catch (err) {
      const hit = await cache.match(key);
      if (hit) return hit;
      throw err;
    }
  })());
});
