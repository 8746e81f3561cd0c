// A follow-up written where the signal drops: kept sealed on the phone with its own
// key and sent by itself later, as the record form's cases are (10-phone.js).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-queue=followup]"), phone = window.registroPhone;
    if (!form) return;
    form.addEventListener("submit", function (e) {
      if (!phone.canKeep()) return; // no keys: the form is sent as it is
      e.preventDefault();
      var fields = ["note", "date", "followup_key"].map(function (n) { return [n, form.elements[n].value]; });
      phone.submit(form, "followup", form.elements.followup_key.value, fields, {
        sent: function () {
          location.assign(form.getAttribute("action").replace(/\/followups$/, "") + "?done=followup#followups");
        },
        kept: function () {
          form.elements.note.value = "";
          form.elements.date.value = "";
          form.elements.followup_key.value = phone.randomKey();
          var q = document.getElementById("followup-queued");
          q.hidden = false;
          q.focus();
        }
      });
    });
  });
})();
