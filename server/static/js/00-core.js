// Registro's pages work without JavaScript; these scripts only add comfort.
// Core: signing out destroys what this phone keeps, after asking when sends are still
// waiting for signal (they would be lost).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var phone = window.registroPhone;
    if (document.querySelector("[data-clear-drafts]")) phone.clearDrafts();
    var out = document.querySelectorAll("form[data-signout]");
    for (var i = 0; i < out.length; i++) {
      out[i].addEventListener("submit", function (e) {
        var n = phone.waiting(), texts = document.getElementById("phone-texts");
        if (n && !window.confirm(texts.getAttribute("data-signout").replace("{n}", n))) {
          e.preventDefault();
          return;
        }
        phone.forget();
      });
    }
  });
})();
