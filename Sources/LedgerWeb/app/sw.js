// Offline reading: the page and every answer it has read (GET only) are kept in the browser's cache; when the
// server cannot be reached, what was already fetched is shown, marked as such. Nothing is ever written offline:
// statements are only signed and sent with the server reachable.

const SHELL = "custody-ledger-shell-v1";
const ANSWERS = "custody-ledger-answers-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  // "Forget this key" forgets what was read with it too.
  if (event.data === "forget") event.waitUntil(caches.delete(ANSWERS));
  // The page names the files it loaded before this worker ran (the page itself, its modules): kept for offline.
  if (Array.isArray(event.data?.keep)) {
    const urls = event.data.keep.map((url) => new URL(url, self.location.origin))
      .filter((url) => url.origin === self.location.origin);
    const into = (store, list) => caches.open(store).then((cache) => cache.addAll(list.map(String)));
    event.waitUntil(Promise.all([
      into(SHELL, urls.filter((url) => !url.pathname.startsWith("/api/"))),
      into(ANSWERS, urls.filter((url) => url.pathname.startsWith("/api/"))),
    ]));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const store = url.pathname.startsWith("/api/") ? ANSWERS : SHELL;
  event.respondWith(networkFirst(request, store));
});

async function networkFirst(request, store) {
  const cache = await caches.open(store);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (!cached) throw error;
    // Marked, so the page can say it is showing what it read earlier.
    const headers = new Headers(cached.headers);
    headers.set("X-Offline-Copy", cached.headers.get("Date") ?? "earlier");
    return new Response(await cached.blob(), { status: cached.status, statusText: cached.statusText, headers });
  }
}
