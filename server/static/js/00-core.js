// Registro's pages work without JavaScript; these scripts only add comfort.
// Core: drafts kept in this browser are deleted when the person signs out.
(function () {
  "use strict";
  var PREFIX = "registro:draft:";
  function clearDrafts() {
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var k = localStorage.key(i);
        if (k && k.indexOf(PREFIX) === 0) localStorage.removeItem(k);
      }
    } catch (e) { /* storage disabled: nothing kept */ }
  }
  window.registroClearDrafts = clearDrafts;
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-clear-drafts]")) clearDrafts();
    var out = document.querySelectorAll("form[data-signout]");
    for (var i = 0; i < out.length; i++) out[i].addEventListener("submit", clearDrafts);
  });
})();
