// Registro's service worker: the pages an outreach worker needs where the signal
// drops. The assets are kept from the start; the record form is kept each time it is
// opened online (it holds no case, only her name and the form); any other page asked
// for without signal gets the offline page, which lists what waits on the phone.
// Nothing of a case is ever kept here: case pages and every answer of the server but
// these pass through untouched. Signing out forgets the kept form.
"use strict";
var VERSION = "__VERSION__";
var ASSETS = __ASSETS__;
var STATIC = "registro-static-" + VERSION, PAGES = "registro-pages";
var KEPT = ["/cases/new"];

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(STATIC).then(function (c) {
    return c.addAll(ASSETS.concat(["/offline", "/manifest.webmanifest"]));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("registro-static-") === 0 && n !== STATIC; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (e) {
  if (e.data === "forget") caches.delete(PAGES);
});

function offline() {
  return caches.match("/offline", { cacheName: STATIC }).then(function (r) {
    return r || new Response("Sin conexión / No connection", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  });
}

self.addEventListener("fetch", function (e) {
  var req = e.request, url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate") {
    var kept = req.method === "GET" && KEPT.indexOf(url.pathname) >= 0 && !url.search;
    e.respondWith(fetch(req).then(function (res) {
      if (kept && res.ok && !res.redirected) {
        var copy = res.clone();
        caches.open(PAGES).then(function (c) { return c.put(url.pathname, copy); });
      }
      if (res.redirected && new URL(res.url).pathname === "/login") caches.delete(PAGES);
      return res;
    }, function () {
      if (!kept) return offline();
      return caches.match(url.pathname, { cacheName: PAGES }).then(function (r) { return r || offline(); });
    }));
    return;
  }
  if (req.method === "GET" && (url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest")) {
    e.respondWith(caches.match(url.pathname, { cacheName: STATIC }).then(function (r) { return r || fetch(req); }));
  }
});
