// Ask before an action that cannot be undone. A form with data-confirm-action opens the
// page's modal dialog instead of going to its confirmation page; Confirm posts the form to
// the action itself, Cancel or Escape closes the dialog, and focus goes back to the button
// that opened it. Without script (or without <dialog>), the form's own action is that
// confirmation page, so nothing here is needed for the page to work.
(function () {
  "use strict";
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  var title = document.getElementById("confirm-dialog-title");
  var text = document.getElementById("confirm-dialog-text");
  var ok = document.getElementById("confirm-dialog-ok");
  // The page writes the dialog's default words in the reader's language.
  var defaultTitle = title.textContent;
  var defaultLabel = ok.textContent;
  var pending = null;
  var opener = null;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirmAction) {
      return;
    }
    event.preventDefault();
    pending = form;
    opener = event.submitter || document.activeElement;
    title.textContent = form.dataset.confirmTitle || defaultTitle;
    text.textContent = form.dataset.confirmText || "";
    ok.textContent = form.dataset.confirmLabel || defaultLabel;
    dialog.returnValue = "";
    dialog.showModal();
  });

  dialog.addEventListener("close", function () {
    // The close event comes later than the closing itself. If the dialog is open again by
    // then (Escape, then Enter at once), this event is about the earlier closing: the form
    // now pending belongs to the dialog as it stands, and waits for its own close.
    if (dialog.open) {
      return;
    }
    var form = pending;
    pending = null;
    if (opener && typeof opener.focus === "function") {
      opener.focus();
    }
    if (form && dialog.returnValue === "confirm") {
      form.action = form.dataset.confirmAction;
      form.submit();
    }
  });
})();
