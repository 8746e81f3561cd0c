// A follow-up written where the signal drops: kept sealed on the phone with its own
// key and sent by itself later, as the record form's cases are (10-phone.js).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-queue=followup]"), phone = window.registroPhone;
    if (!form) return;
    var sending = false;
    form.addEventListener("submit", function (e) {
      if (!phone.canKeep()) return; // no keys: the form is sent as it is
      e.preventDefault();
      if (sending) return;
      sending = true;
      var fields = [];
      ["note", "date", "followup_key"].forEach(function (n) { fields.push([n, form.elements[n].value]); });
      var action = form.getAttribute("action");
      phone.enqueue("followup", form.elements.followup_key.value, action, fields).then(function (slot) {
        if (!slot) { sending = false; form.submit(); return; }
        return phone.send(slot).then(function (r) {
          sending = false;
          if (r.result === "sent") {
            location.assign(action.replace(/\/followups$/, "") + "?done=followup#followups");
          } else if (r.result === "refused") {
            phone.reopen(slot);
          } else {
            form.elements.note.value = "";
            form.elements.date.value = "";
            form.elements.followup_key.value = phone.randomKey();
            var q = document.getElementById("followup-queued");
            q.hidden = false;
            q.focus();
            phone.status();
          }
        });
      }, function () { sending = false; form.submit(); });
    });
  });
})();
