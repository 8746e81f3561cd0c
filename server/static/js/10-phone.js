// What this phone keeps of unsent work: the record form's draft and the sends that
// waited for signal. Nothing is kept readable: every piece is sealed with AES-GCM under
// a key of the day that the server hands to the signed-in session in a cookie that
// ends with it (see server/phone.go). In the clear stay only when a piece was saved
// and what kind it is, so that what is older than the kept time (data-keep hours) can
// be destroyed without a key.
(function () {
  "use strict";
  var DRAFT = "registro:draft:", QUEUE = "registro:queue:", GONE = "registro:destroyed";
  var flushing = null, results = {}, unreadable = {};

  function b() { return document.body; }
  function user() { return b().getAttribute("data-user") || ""; }
  function keepHours() { return parseInt(b().getAttribute("data-keep"), 10) || 72; }
  function store(f) { try { return f(localStorage); } catch (e) { return null; } }
  function text(name, n, ref) {
    var el = document.getElementById("phone-texts");
    var t = (el && el.getAttribute("data-" + name)) || "";
    return t.replace("{n}", n).replace("{ref}", ref || "").replace("{h}", keepHours());
  }

  function toB64(buf) {
    var s = "", a = new Uint8Array(buf);
    for (var i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function fromB64(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var raw = atob(s), a = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) a[i] = raw.charCodeAt(i);
    return a;
  }

  // keys are the day keys of this session, newest first, from the cookie the server
  // sets; none once the session has ended.
  function keys() {
    var name = b().getAttribute("data-keys"), out = [];
    if (!name || !window.crypto || !crypto.subtle) return out;
    document.cookie.split(/;\s*/).forEach(function (c) {
      if (c.indexOf(name + "=") !== 0) return;
      c.slice(name.length + 1).split("~").forEach(function (k) {
        var p = k.split(".");
        if (p.length === 2 && p[1]) out.push({ day: p[0], raw: fromB64(p[1]) });
      });
    });
    return out;
  }
  function cryptoKey(raw) {
    return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  }
  var enc = new TextEncoder(), dec = new TextDecoder();

  // seal stores value in slot, sealed with today's key; the slot's name is bound in
  // (a piece copied to another slot does not open). It resolves false without a key.
  function seal(slot, kind, value, extra) {
    var ks = keys();
    if (!ks.length) return Promise.resolve(false);
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return cryptoKey(ks[0].raw).then(function (k) {
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: enc.encode(slot) }, k,
        enc.encode(JSON.stringify(value)));
    }).then(function (ct) {
      var e = { saved: Date.now(), kind: kind, day: ks[0].day, iv: toB64(iv), ct: toB64(ct) };
      for (var f in extra || {}) e[f] = extra[f];
      return store(function (s) { s.setItem(slot, JSON.stringify(e)); return true; }) === true;
    });
  }
  function entry(slot) {
    var raw = store(function (s) { return s.getItem(slot); });
    try { return raw ? JSON.parse(raw) : null; } catch (e) { return null; }
  }
  // unseal resolves the value kept in slot, or rejects (no key for its day, or not
  // this phone's, or tampered with).
  function unseal(slot) {
    var e = entry(slot), k = null;
    if (!e || !e.ct) return Promise.reject(new Error("empty"));
    keys().forEach(function (x) { if (x.day === e.day) k = x; });
    if (!k) return Promise.reject(new Error("no key"));
    return cryptoKey(k.raw).then(function (ck) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: fromB64(e.iv), additionalData: enc.encode(slot) }, ck, fromB64(e.ct));
    }).then(function (pt) { return JSON.parse(dec.decode(pt)); });
  }
  function remove(slot) { store(function (s) { s.removeItem(slot); }); }
  function slots(prefix) {
    return store(function (s) {
      var out = [];
      for (var i = 0; i < s.length; i++) if (s.key(i).indexOf(prefix) === 0) out.push(s.key(i));
      return out;
    }) || [];
  }

  // purge destroys every piece kept longer than the kept time, whoever it belongs
  // to, and counts them for a notice at the next signed-in page.
  function purge() {
    var limit = Date.now() - keepHours() * 3600 * 1000, gone = 0;
    slots(DRAFT).concat(slots(QUEUE)).forEach(function (slot) {
      var e = entry(slot);
      if (!e || !e.saved || e.saved < limit) { remove(slot); gone++; }
    });
    if (gone) store(function (s) { s.setItem(GONE, String((parseInt(s.getItem(GONE), 10) || 0) + gone)); });
  }

  // queueSlots are the sends waiting for the signed-in account, or for anyone on a
  // page without an account (the offline page lists them, by date only).
  function queueSlots() { return slots(QUEUE + (user() ? user() + ":" : "")); }

  // status shows what waits on this phone, and what was just sent.
  var sent = [];
  function status() {
    var el = document.getElementById("phone-status");
    if (!el) return;
    var waiting = queueSlots(), refused = waiting.filter(function (s) { return (entry(s) || {}).refused; });
    var locked = waiting.filter(function (s) { return unreadable[s]; }).length;
    var lines = sent.map(function (ref) { return text("sent", 0, ref); });
    var rest = waiting.length - refused.length - locked;
    if (rest > 0) lines.push(keys().length ? text("queued", rest) : text("signin", rest));
    if (locked > 0) lines.push(text("locked", locked));
    el.textContent = "";
    lines.forEach(function (l) { var p = document.createElement("p"); p.textContent = l; el.appendChild(p); });
    refused.forEach(function (slot) {
      var p = document.createElement("p"), btn = document.createElement("button");
      p.textContent = text("refused") + " ";
      btn.type = "button";
      btn.className = "link";
      btn.textContent = text("fix");
      btn.addEventListener("click", function () { reopen(slot); });
      p.appendChild(btn);
      el.appendChild(p);
    });
    el.hidden = !el.firstChild;
    var list = document.getElementById("phone-queue-list");
    if (list) {
      list.textContent = "";
      waiting.forEach(function (slot) {
        var e = entry(slot) || {}, li = document.createElement("li");
        li.textContent = text(e.kind === "followup" ? "item_followup" : "item_case") + " " +
          new Date(e.saved).toLocaleString(document.documentElement.lang) + (e.refused ? " · " + text("refused") : "");
        list.appendChild(li);
      });
      var none = document.getElementById("phone-queue-empty");
      if (none) none.hidden = waiting.length > 0;
    }
  }

  // session asks the server for this session's CSRF token (a page kept offline holds
  // an old one); null when signed out or without signal.
  function session() {
    return fetch("/phone", { credentials: "same-origin", headers: { Accept: "application/json" }, redirect: "error" })
      .then(function (r) { return r.ok ? r.json() : r.text().then(function () { return null; }); })
      .catch(function () { return null; });
  }

  // post sends one kept piece as its form would, asking for a JSON answer.
  function post(target, fields, csrf) {
    var body = new URLSearchParams();
    fields.forEach(function (f) { body.append(f[0], f[1]); });
    body.set("csrf_token", csrf);
    return fetch(target, { method: "POST", body: body, credentials: "same-origin", redirect: "error",
      headers: { Accept: "application/json" } });
  }

  // sendOne sends the piece in slot; it resolves "sent" (with the answer), "refused",
  // "signin" or "offline". Nothing is sent twice: a case carries its idempotency key,
  // a follow-up its own, and a piece leaves the phone only once the server answered.
  function sendOne(slot, csrf) {
    return unseal(slot).then(function (v) {
      return post(v.target, v.fields, csrf).then(function (r) {
        if (r.status === 200 || r.status === 201) {
          return r.json().then(function (a) { remove(slot); if (a.ref) sent.push(a.ref); return { result: "sent", answer: a }; });
        }
        // The answer is read to its end whatever it is, so the request is over.
        var drained = r.text().catch(function () { return ""; });
        if (r.status === 422 || r.status === 409 || r.status === 400) {
          var e = entry(slot);
          e.refused = true;
          store(function (s) { s.setItem(slot, JSON.stringify(e)); });
          return drained.then(function () { return { result: "refused" }; });
        }
        return drained.then(function () { return { result: r.status === 401 || r.status === 403 ? "signin" : "offline" }; });
      }, function () { return { result: "offline" }; });
    }, function () {
      // With this session's keys at hand, a piece that does not open was sealed on
      // another phone or for another session: it never will here.
      if (keys().length) unreadable[slot] = true;
      return { result: "signin" };
    });
  }

  // flush sends everything that waits, oldest first, once at a time across tabs.
  function flush(only) {
    if (!user()) return Promise.resolve(null);
    if (flushing) return flushing;
    var run = function () {
      var todo = (only ? [only] : queueSlots()).filter(function (s) { var e = entry(s); return e && !e.refused && !unreadable[s]; });
      todo.sort(function (a, c) { return entry(a).saved - entry(c).saved; });
      if (!todo.length || navigator.onLine === false) return Promise.resolve(only ? { result: "offline" } : null);
      return session().then(function (sess) {
        if (!sess) return { result: navigator.onLine === false ? "offline" : "signin" };
        var last = null;
        return todo.reduce(function (p, slot) {
          return p.then(function (prev) {
            if (prev && prev.result !== "sent" && prev.result !== "refused") return prev;
            return sendOne(slot, sess.csrf).then(function (r) { last = results[slot] = r; return r; });
          });
        }, Promise.resolve(null)).then(function () { return last; });
      });
    };
    flushing = (navigator.locks ? navigator.locks.request("registro-queue", run) : run())
      .then(function (r) { flushing = null; status(); return r; }, function () { flushing = null; status(); return null; });
    return flushing;
  }

  // send sends the piece in slot now (after any send already running) and resolves
  // how it went.
  function send(slot) {
    return Promise.resolve(flushing).then(function () { return flush(slot); }).then(function () {
      return results[slot] || { result: "offline" };
    });
  }

  // reopen sends a refused piece the way its form does, so the page comes back with
  // every problem marked and every answer kept; the piece leaves the queue (a case's
  // answers stay in the draft, her code apart).
  function reopen(slot) {
    unseal(slot).then(function (v) {
      return session().then(function (sess) {
        if (!sess) { status(); return; }
        var form = document.createElement("form");
        form.method = "post";
        form.action = v.target;
        form.hidden = true;
        v.fields.concat([["csrf_token", sess.csrf]]).forEach(function (f) {
          var i = document.createElement("input");
          i.type = "hidden";
          i.name = f[0];
          i.value = f[1];
          form.appendChild(i);
        });
        document.body.appendChild(form);
        var done = v.kind === "case" ? saveDraft(v.fields.filter(function (f) { return f[0].indexOf("uic_") !== 0; })) : Promise.resolve();
        return done.then(function () { remove(slot); form.submit(); });
      });
    }, function () { status(); });
  }

  function saveDraft(fields) {
    if (!user()) return Promise.resolve(false);
    return seal(DRAFT + user(), "draft", { fields: fields });
  }

  // enqueue keeps a send for later under id (a case's idempotency key).
  function enqueue(kind, id, target, fields) {
    var slot = QUEUE + user() + ":" + id;
    delete unreadable[slot];
    delete results[slot];
    return seal(slot, kind, { kind: kind, target: target, fields: fields }).then(function (ok) { return ok ? slot : null; });
  }

  // submit sends form's fields the kept way: sealed into the queue under key first,
  // then sent. Sent, on.sent gets the answer; refused, the form itself is sent so the
  // page comes back with every problem marked; without signal, on.kept runs and the
  // piece goes by itself later. Without a key it sends the form as it is.
  function submit(form, kind, key, fields, on) {
    if (form.getAttribute("data-sending")) return;
    form.setAttribute("data-sending", "1");
    var done = function () { form.removeAttribute("data-sending"); };
    enqueue(kind, key, form.getAttribute("action"), fields).then(function (slot) {
      if (!slot) { done(); form.submit(); return; }
      return send(slot).then(function (r) {
        done();
        if (r.result === "sent") on.sent(r.answer);
        else if (r.result === "refused") reopen(slot);
        else { on.kept(); status(); }
      });
    }, function () { done(); form.submit(); });
  }

  // forget destroys everything this phone keeps (signing out, once confirmed) and the
  // pages kept for offline use.
  function forget() {
    slots(DRAFT).concat(slots(QUEUE)).forEach(remove);
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("forget");
    }
  }

  function randomKey() {
    var abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", a = crypto.getRandomValues(new Uint8Array(26)), s = "";
    for (var i = 0; i < a.length; i++) s += abc[a[i] % 32];
    return s;
  }

  window.registroPhone = {
    canKeep: function () { return !!user() && keys().length > 0; },
    saveDraft: saveDraft,
    loadDraft: function () { return user() ? unseal(DRAFT + user()) : Promise.reject(new Error("signed out")); },
    clearDraft: function () { if (user()) remove(DRAFT + user()); },
    clearDrafts: function () { slots(DRAFT).forEach(remove); },
    submit: submit, forget: forget,
    waiting: function () { return queueSlots().length; }, randomKey: randomKey
  };

  purge();
  document.addEventListener("DOMContentLoaded", function () {
    var gone = parseInt(store(function (s) { return s.getItem(GONE); }), 10) || 0;
    if (gone && user()) {
      var el = document.getElementById("phone-destroyed");
      if (el) { el.textContent = text("destroyed", gone); el.hidden = false; }
      store(function (s) { s.removeItem(GONE); });
    }
    if (navigator.serviceWorker && b().hasAttribute("data-sw")) {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* no offline pages */ });
    }
    status();
    flush();
    window.addEventListener("online", function () { flush(); });
  });
})();
