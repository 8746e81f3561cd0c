// "Copiar para WhatsApp": the alert's plain text (already on the page, in a read-only
// text box anyone can select by hand) goes to the clipboard with one tap.
(function () {
  "use strict";
  function copied(button) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) status.textContent = button.getAttribute("data-done");
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button.copy-text") : null;
    if (!button) return;
    var box = document.getElementById(button.getAttribute("data-copy"));
    if (!box) return;
    box.focus();
    box.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(function () { copied(button); }, function () {
        if (document.execCommand("copy")) copied(button);
      });
    } else if (document.execCommand("copy")) {
      copied(button);
    }
  });
})();
