// The desk on an article's change form (templates/admin/articles/article/change_form.html).
//
// 1. Steps that ask first: their link opens the <dialog> holding the confirmation form
//    (without JavaScript the link opens the same form on a page of its own).
// 2. Unsaved edits: leaving the page with changes in the article's form asks first. Saving
//    the form (the Save buttons, and the workflow buttons, which submit it) does not ask; a
//    confirmation dialog says the edits will be lost instead of asking twice.
(function () {
  "use strict";

  const form = document.getElementById("article_form");

  // A snapshot of what the article's own fields hold (not the desk's comment fields, which
  // belong to the form only to be sent with a step).
  function snapshot() {
    if (!form) return "";
    const parts = [];
    for (const element of form.elements) {
      if (!element.name || element.closest(".newsroom-desk") || element.name === "csrfmiddlewaretoken") continue;
      if (element.type === "submit" || element.type === "button") continue;
      if (element.type === "checkbox" || element.type === "radio") {
        parts.push(element.name + "=" + element.checked);
      } else if (element.type === "file") {
        parts.push(element.name + "=" + element.files.length);
      } else if (element.multiple && element.options) {
        parts.push(element.name + "=" + Array.from(element.selectedOptions, (option) => option.value).join(","));
      } else {
        parts.push(element.name + "=" + element.value);
      }
    }
    return parts.join("\n");
  }

  let saved = null;
  let leaving = false;

  function hasUnsavedEdits() {
    return saved !== null && snapshot() !== saved;
  }

  if (form) {
    // After every script has set the fields up (editor, autocompletes).
    window.addEventListener("load", () => {
      saved = snapshot();
    });
    form.addEventListener("submit", () => {
      leaving = true;
    });
    window.addEventListener("beforeunload", (event) => {
      if (!leaving && hasUnsavedEdits()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  for (const opener of document.querySelectorAll("[data-opens-dialog]")) {
    const dialog = document.getElementById(opener.dataset.opensDialog);
    if (!dialog || typeof dialog.showModal !== "function") continue;
    opener.addEventListener("click", (event) => {
      event.preventDefault();
      const unsaved = dialog.querySelector(".newsroom-confirm__unsaved");
      if (unsaved) unsaved.hidden = !hasUnsavedEdits();
      dialog.showModal();
      const first = dialog.querySelector("input:not([type=hidden]), button");
      if (first) first.focus();
    });
    const confirmation = dialog.querySelector("form");
    if (confirmation) {
      confirmation.addEventListener("submit", (event) => {
        // "Cancel" only closes the dialog; the step's own button was warned about edits.
        if (!(event.submitter && event.submitter.formMethod === "dialog")) leaving = true;
      });
    }
  }
})();
