// Recording an incident. The form works without this script; with it, one step shows
// at a time, the district list can be searched, only the relevant date and contact
// fields show, and an unsent draft survives a reload or a dropped connection.
(function () {
  "use strict";
  // Her code is never kept in the browser, nor the session's CSRF token.
  var SKIP = { uic_mother: 1, uic_father: 1, uic_day: 1, uic_year: 1, no_uic: 1, csrf_token: 1 };

  var phone = window.registroPhone;
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function checked(form, name) {
    var el = $("input[name=" + name + "]:checked", form);
    return el ? el.value : "";
  }
  function show(el, on) { if (el) el.hidden = !on; }

  // Only the date input matching the precision shows; the contact only with consent;
  // her code's questions not when she prefers not to answer. A hidden field is also
  // disabled, so nothing hidden is sent.
  function applyVisibility(form) {
    var p = checked(form, "date_precision") || "day";
    $$(".date-field", form).forEach(function (d) { show(d, d.getAttribute("data-precision") === p); });
    toggle($("#contact-field", form), checked(form, "consent_contact") === "yes");
    toggle($(".code-questions", form), !$("#f-no_uic", form).checked);
    show($("#consent-needed", form), checked(form, "consent_record") === "no");
  }
  function toggle(box, on) {
    if (!box) return;
    show(box, on);
    $$("input", box).forEach(function (i) { i.disabled = !on; });
  }

  // The draft: every field but her code, including the idempotency key, so that
  // sending again after a reload cannot record the incident twice.
  function collect(form, withCode) {
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrf_token" || (SKIP[el.name] && !withCode)) return;
      if (el.type === "submit" || el.type === "button") return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      fields.push([el.name, el.value]);
    });
    return fields;
  }
  // save seals the draft on the phone, a moment after the last change; the line
  // under the send button says it is safe, or that it cannot be kept.
  var saving = null;
  function save(form) {
    clearTimeout(saving);
    saving = setTimeout(function () {
      phone.saveDraft(collect(form, false)).then(function (ok) {
        show($("#draft-safe"), ok);
        // Without WebCrypto (a page not served over HTTPS) nothing was ever kept: only
        // a session that ended is worth saying.
        show($("#draft-unsafe"), !ok && !!(window.crypto && crypto.subtle));
      }, function () { show($("#draft-unsafe"), true); });
    }, 300);
  }
  // restore puts a kept draft back into a fresh form; it resolves whether it did.
  function restore(form) {
    if (!form.hasAttribute("data-fresh")) return Promise.resolve(false);
    return phone.loadDraft().then(function (draft) {
      if (!draft || !draft.fields || !draft.fields.length) return false;
      fill(form, draft.fields);
      return true;
    }, function () { return false; });
  }
  function fill(form, fields) {
    var vals = {};
    fields.forEach(function (f) { (vals[f[0]] = vals[f[0]] || []).push(f[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name]) return;
      var v = vals[el.name];
      if (el.type === "checkbox") el.checked = !!v && v.indexOf(el.value) >= 0;
      else if (el.type === "radio") { if (v) el.checked = v.indexOf(el.value) >= 0; }
      else if (v && el.type !== "submit" && el.type !== "button") el.value = v[0];
    });
  }

  // The district list filtered by what is typed, ignoring accents and case. Whole
  // words count first ("Rímac" is Rímac, not Apurímac), then the starts of words, and
  // only when neither matches, any part of a name. The names people use (SJL, VES,
  // Cercado) come from the server in data-aka. When the best matches are one district,
  // it is chosen; typing again lets go of the district chosen before.
  function districtFilter(form) {
    var sel = $("#f-district", form), input = $("#f-district_search", form);
    if (!sel || !input) return function () {};
    show(input.parentNode, true);
    var placeholder = sel.options[0];
    var groups = $$("optgroup", sel).map(function (g) {
      return { label: g.label, opts: $$("option", g).map(function (o) {
        var names = [o.text].concat((o.getAttribute("data-aka") || "").split("|"));
        return { value: o.value, text: o.text, aka: o.getAttribute("data-aka"),
          keys: names.filter(Boolean).map(words) };
      }) };
    });
    // rank is 0 for the whole name, 1 for whole words, 2 for starts of words, 3 for
    // a part of a word, and -1 for no match.
    function rank(o, q) {
      var best = -1;
      o.keys.forEach(function (k) {
        var r = k === q ? 0 : (" " + k + " ").indexOf(" " + q + " ") >= 0 ? 1 :
          (" " + k).indexOf(" " + q) >= 0 ? 2 : k.indexOf(q) >= 0 ? 3 : -1;
        if (r >= 0 && (best < 0 || r < best)) best = r;
      });
      return best;
    }
    function apply(typed) {
      var q = words(input.value), keep = typed ? "" : sel.value, top = 4, ranks = {};
      groups.forEach(function (g) {
        g.opts.forEach(function (o) {
          var r = q ? rank(o, q) : 0;
          ranks[o.value] = r;
          if (r >= 0 && r < top) top = r;
        });
      });
      // Parts of words only when nothing better matches.
      var limit = top < 3 ? 2 : 3, found = [];
      sel.textContent = "";
      sel.appendChild(placeholder);
      groups.forEach(function (g) {
        var og = null;
        g.opts.forEach(function (o) {
          var r = ranks[o.value], match = r >= 0 && r <= limit;
          if (!match && o.value !== keep) return;
          if (match && r === top) found.push(o.value);
          if (!og) { og = document.createElement("optgroup"); og.label = g.label; sel.appendChild(og); }
          var opt = new Option(o.text, o.value, false, o.value === keep);
          if (o.aka) opt.setAttribute("data-aka", o.aka);
          og.appendChild(opt);
        });
      });
      sel.value = keep || (q && found.length === 1 ? found[0] : "");
      show($("#district-none", form), !!q && top > 3);
    }
    input.addEventListener("input", function () { apply(true); });
    apply(false);
    return function () { apply(false); };
  }
  function fold(s) {
    return (s.normalize ? s.normalize("NFD").replace(/[\u0300-\u036f]/g, "") : s).toLowerCase();
  }
  // words folds a name and keeps its words, one space apart ("Lima (Cercado)" → "lima cercado").
  function words(s) {
    return fold(s).split(/[^a-z0-9ñ]+/).filter(Boolean).join(" ");
  }

  // The stepper: one step at a time, "Step 2 of 6" written by the server in each step.
  function stepper(form) {
    var steps = $$("fieldset.step", form), current = 0;
    // Hidden steps cannot show the browser's own messages; the server checks everything.
    form.noValidate = true;
    $$(".step-nav, .step-back", form).forEach(function (n) { n.hidden = false; });
    function go(i, focus) {
      current = Math.max(0, Math.min(i, steps.length - 1));
      steps.forEach(function (s, k) { s.hidden = k !== current; });
      var h = $(".step-title", steps[current]);
      if (focus && h) h.focus();
    }
    // Nothing is recorded without her consent, so the first step does not let go.
    function next() {
      if (current === 0 && checked(form, "consent_record") !== "yes") {
        show($("#consent-needed", form), true);
        $("#f-consent_record", form).focus();
        return;
      }
      go(current + 1, true);
    }
    form.addEventListener("click", function (e) {
      var b = e.target.closest && e.target.closest("button");
      if (b && b.classList.contains("step-next")) next();
      if (b && b.classList.contains("step-back")) go(current - 1, true);
    });
    // Enter in a field of an earlier step moves on rather than sending half a form.
    form.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.key !== "Enter" || t.tagName !== "INPUT" || current === steps.length - 1) return;
      e.preventDefault();
      if (t.type !== "search") next();
    });
    // A rejected form opens at the first step with a problem; the summary's links open
    // their step.
    // The server names the step (data-open, from 1), as it orders the summary.
    var first = parseInt(form.getAttribute("data-open"), 10) || 1;
    go(first - 1, false);
    // The summary is announced (role="alert") without taking the focus, so the first
    // Tab stop stays the skip link, as on every page.
    $$("#problems a").forEach(function (a) {
      a.addEventListener("click", function (e) {
        var target = document.getElementById(a.getAttribute("href").slice(1));
        var step = target && target.closest("fieldset.step");
        if (!step) return;
        e.preventDefault();
        go(steps.indexOf(step), false);
        target.focus();
      });
    });
    return go;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if ($("[data-clear-draft]")) phone.clearDraft();
    var form = $("form#record");
    if (!form) return;
    // A hidden input's value is its default too, so reset() would keep a restored
    // key: the fresh key the server gave is put back by hand on discard.
    var freshKey = form.elements.idempotency_key.value;
    if (form.hasAttribute("data-fresh") && window.crypto && crypto.getRandomValues) {
      // This form may come from the phone's copy of the page, opened again and again
      // without signal: each case gets a key of its own.
      freshKey = form.elements.idempotency_key.value = phone.randomKey();
    }
    applyVisibility(form);
    var filter = districtFilter(form);
    var go = stepper(form);
    function startOver() {
      phone.clearDraft();
      form.reset();
      form.elements.idempotency_key.value = freshKey;
      applyVisibility(form);
      filter();
      go(0, false);
      show($("#draft-restored"), false);
    }
    restore(form).then(function (restored) {
      if (!restored) return;
      applyVisibility(form);
      filter();
      show($("#draft-restored"), true);
    });
    $("#draft-discard").addEventListener("click", function () {
      startOver();
      $("#record-title").focus();
    });
    form.addEventListener("change", function () { applyVisibility(form); save(form); });
    form.addEventListener("input", function () { save(form); });
    // Sending: the case is sealed into this phone's queue first, then sent. Without
    // signal, or when the connection drops on the way, it stays queued and goes by
    // itself later with the same idempotency key, so it is never recorded twice; a
    // refusal sends the form itself, which comes back with every problem marked.
    form.addEventListener("submit", function (e) {
      if (!phone.canKeep()) {
        // The session's keys are gone: nothing can be kept sealed on the phone.
        if (navigator.onLine === false) {
          e.preventDefault();
          var msg = $("#record-offline");
          show(msg, true);
          msg.focus();
        }
        return;
      }
      e.preventDefault();
      clearTimeout(saving);
      phone.submit(form, "case", form.elements.idempotency_key.value, collect(form, true), {
        sent: function (answer) {
          phone.clearDraft();
          location.assign("/cases/" + encodeURIComponent(answer.id) + "/recorded");
        },
        kept: function () {
          // Kept for later: the form is free for the next case, with a new key.
          freshKey = phone.randomKey();
          startOver();
          var q = $("#record-queued");
          show(q, true);
          q.focus();
        }
      });
    });
  });
})();
