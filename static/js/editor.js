/*
 * The article editor in the newsroom: django-markdownx's textarea, with
 *
 * - image uploads (drop or paste) handled here instead of by markdownx: a progress bar per
 *   file; on a refusal the server's own reason beside the editor and NOTHING written into
 *   the text (markdownx writes "Invalid response" into it); on success a prompt for the alt
 *   text, which goes into the Markdown (an image is never inserted with an empty alt);
 * - the live preview in a shadow root that loads the readers' stylesheet (site.css), so it
 *   shows the article in the site's own typography and the admin's styles do not leak in.
 *
 * markdownx still renders the preview (it fills .markdownx-preview and fires
 * "markdownx.update"); this script moves the HTML into the shadow root. Its upload handler
 * is bypassed by listening for drop and paste in the capture phase on the editor's
 * container and stopping the events there, before they reach markdownx's listeners on the
 * textarea. A static file, no inline script or style: it runs under a strict CSP.
 */
(function () {
  "use strict";

  var ALT_MAX_LENGTH = 250;

  function ready(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function csrfToken(editor) {
    var form = editor.form || document;
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // ---------------------------------------------------------------- What the server said

  function refusalReason(xhr) {
    if (xhr.status === 0) {
      return "The upload did not reach the server. Check the connection and try again.";
    }
    if (xhr.status === 413) {
      return "The image is larger than the server accepts.";
    }
    if (xhr.status === 403) {
      return "The server refused the upload: you may have been logged out. Reload the page (your text is kept only if you save it first).";
    }
    var data = null;
    try {
      data = JSON.parse(xhr.responseText);
    } catch (error) {
      data = null;
    }
    if (data && typeof data === "object") {
      var messages = [];
      Object.keys(data).forEach(function (field) {
        [].concat(data[field]).forEach(function (message) {
          if (typeof message === "string") messages.push(message);
          else if (message && message.message) messages.push(message.message);
        });
      });
      if (messages.length) return messages.join(" ");
    }
    return "The server could not store the image (error " + xhr.status + "). Try again in a moment.";
  }

  // ---------------------------------------------------------------- Markdown for an image

  function markdownImage(alt, url) {
    // Inside [...] a backslash or bracket would end or break the text; line breaks too.
    var safeAlt = alt.replace(/\s+/g, " ").trim().replace(/([\\\[\]])/g, "\\$1");
    var safeUrl = url.replace(/ /g, "%20").replace(/\(/g, "%28").replace(/\)/g, "%29");
    return "![" + safeAlt + "](" + safeUrl + ")";
  }

  function insertAt(editor, position, snippet) {
    var text = editor.value;
    position = Math.min(position, text.length);
    var before = text.slice(0, position);
    var after = text.slice(position);
    // An image as its own paragraph: blank lines around it, unless already there.
    var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var trail = after === "" || /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
    var inserted = lead + snippet + trail;
    editor.value = before + inserted + after;
    var caret = position + inserted.length;
    editor.setSelectionRange(caret, caret);
    // markdownx (preview) and the form's unsaved-changes guard listen for input.
    editor.dispatchEvent(new Event("input", { bubbles: true }));
    return position + inserted.length;
  }

  // ---------------------------------------------------------------- The alt text prompt

  function altDialog() {
    var dialog = document.querySelector("dialog.editor-alt");
    if (dialog) return dialog;
    dialog = element("dialog", "editor-alt");
    dialog.setAttribute("aria-labelledby", "editor-alt-title");
    var form = element("form", "editor-alt__form");
    form.method = "dialog";
    var title = element("h2", "editor-alt__title", "Describe the image");
    title.id = "editor-alt-title";
    var image = element("img", "editor-alt__image");
    image.alt = "";
    var label = element("label", "editor-alt__label", "Alt text: what a reader who cannot see the image should know");
    label.htmlFor = "editor-alt-text";
    var input = element("textarea", "editor-alt__input");
    input.id = "editor-alt-text";
    input.name = "alt";
    input.rows = 2;
    input.required = true;
    input.maxLength = ALT_MAX_LENGTH;
    var hint = element("p", "editor-alt__hint", "It goes into the article with the image. Required: the image is not inserted without it.");
    var actions = element("div", "editor-alt__actions");
    var insert = element("button", "button default editor-alt__insert", "Insert image");
    insert.type = "submit";
    insert.value = "insert";
    var cancel = element("button", "button editor-alt__cancel", "Leave it out");
    cancel.type = "submit";
    cancel.value = "cancel";
    cancel.formNoValidate = true;
    actions.append(insert, cancel);
    form.append(title, image, label, input, hint, actions);
    dialog.append(form);
    // Enter inserts (a line break has no place in alt text).
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        form.requestSubmit(insert);
      }
    });
    document.body.append(dialog);
    return dialog;
  }

  // Resolves with the alt text, or null when the author leaves the image out.
  var dialogQueue = Promise.resolve();
  function askAltText(fileName, url) {
    var asked = dialogQueue.then(function () {
      return new Promise(function (resolve) {
        var dialog = altDialog();
        var input = dialog.querySelector(".editor-alt__input");
        var image = dialog.querySelector(".editor-alt__image");
        dialog.querySelector(".editor-alt__title").textContent = "Describe the image " + fileName;
        image.src = url;
        input.value = "";
        dialog.returnValue = "";
        dialog.addEventListener(
          "close",
          function () {
            var alt = input.value.replace(/\s+/g, " ").trim();
            resolve(dialog.returnValue === "insert" && alt ? alt : null);
          },
          { once: true }
        );
        dialog.showModal();
        input.focus();
      });
    });
    dialogQueue = asked.then(
      function () {},
      function () {}
    );
    return asked;
  }

  // ---------------------------------------------------------------- Uploads

  function uploadList(container) {
    var list = container.parentNode.querySelector(".editor-uploads");
    if (!list) {
      list = element("ul", "editor-uploads");
      list.setAttribute("aria-live", "polite");
      list.setAttribute("aria-label", "Image uploads");
      container.before(list);
    }
    return list;
  }

  function uploadItem(list, fileName) {
    var item = element("li", "editor-upload");
    var name = element("span", "editor-upload__name", fileName);
    var progress = element("progress", "editor-upload__progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", "Uploading " + fileName);
    var state = element("span", "editor-upload__state", "Uploading…");
    item.append(name, progress, state);
    list.append(item);
    return {
      item: item,
      progress: function (percent) {
        progress.value = percent;
        state.textContent = "Uploading… " + percent + "%";
      },
      uploaded: function () {
        progress.value = 100;
        state.textContent = "Uploaded: describe it to insert it.";
      },
      fail: function (reason) {
        item.className = "editor-upload editor-upload--refused";
        item.setAttribute("role", "alert");
        progress.remove();
        state.textContent = "Not uploaded: " + reason + " Nothing was added to the text.";
        var dismiss = element("button", "editor-upload__dismiss", "Dismiss");
        dismiss.type = "button";
        dismiss.addEventListener("click", function () {
          item.remove();
        });
        item.append(dismiss);
      },
      done: function (message) {
        item.className = "editor-upload editor-upload--done";
        progress.remove();
        state.textContent = message;
        window.setTimeout(function () {
          item.remove();
        }, 6000);
      },
    };
  }

  function upload(editor, file, item) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      data.append("image", file);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", editor.getAttribute("data-markdownx-upload-urls-path"));
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("X-CSRFToken", csrfToken(editor));
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) item.progress(Math.floor((event.loaded / event.total) * 100));
      });
      xhr.addEventListener("load", function () {
        var data = null;
        if (xhr.status === 200) {
          try {
            data = JSON.parse(xhr.responseText);
          } catch (error) {
            data = null;
          }
        }
        if (data && data.image_url) resolve(data.image_url);
        else reject(refusalReason(xhr));
      });
      xhr.addEventListener("error", function () {
        reject(refusalReason(xhr));
      });
      xhr.send(data);
    });
  }

  function handleFiles(container, editor, files) {
    var list = uploadList(container);
    // Where the caret was when the files came: each image goes there, in order.
    var position = editor.selectionEnd;
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (file) {
      var name = file.name || "pasted image";
      var item = uploadItem(list, name);
      var uploaded = upload(editor, file, item);
      chain = chain.then(function () {
        return uploaded.then(
          function (url) {
            item.uploaded();
            return askAltText(name, url).then(function (alt) {
              if (alt === null) {
                item.done(name + " was uploaded but not inserted: no alt text was given.");
                return;
              }
              position = insertAt(editor, position, markdownImage(alt, url));
              item.done("Inserted " + name + ".");
            });
          },
          function (reason) {
            item.fail(reason);
          }
        );
      });
    });
  }

  function takeOverUploads(container, editor) {
    // Files dropped or pasted go to handleFiles, not to markdownx. Capture phase on the
    // container: runs before markdownx's listeners on the textarea, and stopping the event
    // here keeps it from them.
    function takeFiles(event) {
      var transfer = event.dataTransfer || event.clipboardData; // a drop's, a paste's
      if (!(transfer && transfer.files && transfer.files.length)) return;
      event.preventDefault();
      event.stopPropagation();
      handleFiles(container, editor, transfer.files);
    }
    container.addEventListener("drop", takeFiles, true);
    container.addEventListener("paste", takeFiles, true);
    // While files are dragged over the editor, it says it will take them (editor.css).
    var depth = 0;
    // (Capture phase: markdownx stops these events on the textarea.)
    container.addEventListener(
      "dragenter",
      function (event) {
        if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
          depth += 1;
          container.classList.add("editor-dropzone--active");
        }
      },
      true
    );
    container.addEventListener(
      "dragleave",
      function () {
        depth = Math.max(0, depth - 1);
        if (!depth) container.classList.remove("editor-dropzone--active");
      },
      true
    );
    container.addEventListener(
      "drop",
      function () {
        depth = 0;
        container.classList.remove("editor-dropzone--active");
      },
      true
    );
  }

  // ---------------------------------------------------------------- The preview

  function mountPreview(container, editor) {
    var preview = container.querySelector(".markdownx-preview");
    if (!preview || preview.shadowRoot) return;
    var shadow = preview.attachShadow({ mode: "open" });
    (editor.getAttribute("data-preview-stylesheets") || "").split(" ").forEach(function (href) {
      if (!href) return;
      var link = element("link");
      link.rel = "stylesheet";
      link.href = href;
      shadow.append(link);
    });
    var page = element("div", "editor-preview");
    var label = element("p", "editor-preview__label", "Preview: as readers will see it");
    page.append(label);
    if (editor.name === "body") {
      var header = element("header", "article__header editor-preview__header");
      var title = element("h1", "article__title");
      var standfirst = element("p", "article__standfirst");
      header.append(title, standfirst);
      page.append(header);
      [
        ["id_title", title],
        ["id_standfirst", standfirst],
      ].forEach(function (pair) {
        var field = document.getElementById(pair[0]);
        if (!field) return;
        var copy = function () {
          pair[1].textContent = field.value.replace(/\s+/g, " ").trim();
        };
        field.addEventListener("input", copy);
        copy();
      });
    }
    var body = element("div", editor.getAttribute("data-preview-class") || "prose");
    page.append(body);
    shadow.append(page);
    preview.classList.add("editor-preview-host");

    function show(html) {
      // The HTML comes from the site's own renderer (sanitized by nh3), as markdownx uses it.
      body.innerHTML = html;
      preview.replaceChildren();
    }
    container.addEventListener("markdownx.update", function (event) {
      var detail = event.detail && event.detail[0];
      show(typeof detail === "string" ? detail : preview.innerHTML);
    });
    if (preview.innerHTML.trim()) show(preview.innerHTML);
  }

  // ---------------------------------------------------------------- Start

  ready(function () {
    document.querySelectorAll(".markdownx").forEach(function (container) {
      var editor = container.querySelector(".markdownx-editor");
      if (!editor || container.hasAttribute("data-newsroom-editor")) return;
      container.setAttribute("data-newsroom-editor", "");
      takeOverUploads(container, editor);
      mountPreview(container, editor);
    });
  });
})();
