/*
 * The review screen (templates/admin/articles/article/review.html), made quicker with a mouse
 * or a finger; everything also works without this file (a plain form with a passage field).
 *
 * - Selecting text in the article or in the changes fills in the comment form's passage and
 *   the text around it (which occurrence was meant), and offers a "Comment on the selection"
 *   button that takes you to the comment field.
 * - The passages of the comments are marked in the article (CSS Custom Highlight API: no
 *   change to the article's markup), and "Show in the article" scrolls to one.
 */
(function () {
  "use strict";

  var CONTEXT = 40;
  var article = document.getElementById("review-article");
  var form = document.getElementById("comment-form");

  function normalise(text) {
    return text.replace(/\s+/g, " ").trim();
  }

  // The text a reader sees in a fragment: no deleted words or screen-reader labels of a diff.
  function visibleText(fragment) {
    fragment.querySelectorAll("del, .visually-hidden").forEach(function (node) {
      node.remove();
    });
    return fragment.textContent;
  }

  // The text of `root` with white space collapsed, and for each of its characters the text
  // node and offset it comes from.
  function indexText(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var text = "";
    var map = [];
    var space = true;
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var value = node.nodeValue;
      for (var i = 0; i < value.length; i++) {
        if (/\s/.test(value[i])) {
          if (space) continue;
          text += " ";
          space = true;
        } else {
          text += value[i];
          space = false;
        }
        map.push([node, i]);
      }
    }
    return { text: text, map: map };
  }

  function commonSuffix(a, b) {
    var n = 0;
    while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
    return n;
  }

  function commonPrefix(a, b) {
    var n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return n;
  }

  // The range of `quote` in the indexed text, the occurrence whose surroundings best match
  // `before` and `after` (as articles/passages.py chooses on the server).
  function find(index, quote, before, after) {
    quote = normalise(quote);
    if (!quote) return null;
    var best = -1;
    var bestScore = -1;
    for (var at = index.text.indexOf(quote); at !== -1; at = index.text.indexOf(quote, at + 1)) {
      var score =
        commonSuffix(normalise(before), index.text.slice(Math.max(0, at - CONTEXT), at).trim()) +
        commonPrefix(normalise(after), index.text.slice(at + quote.length, at + quote.length + CONTEXT).trim());
      if (score > bestScore) {
        best = at;
        bestScore = score;
      }
    }
    if (best === -1) return null;
    var start = index.map[best];
    var end = index.map[best + quote.length - 1];
    var range = document.createRange();
    range.setStart(start[0], start[1]);
    range.setEnd(end[0], end[1] + 1);
    return range;
  }

  // ---------------------------------------------------------------- passages in the article

  var highlights = window.CSS && CSS.highlights && window.Highlight;
  if (article) {
    var index = indexText(article);
    var all = [];
    document.querySelectorAll(".review-comment[data-quote]").forEach(function (item) {
      if (item.classList.contains("review-comment--lost")) return;
      var range = find(index, item.dataset.quote, item.dataset.prefix || "", item.dataset.suffix || "");
      var show = item.querySelector(".review-comment__show");
      if (!range) return;
      if (!item.classList.contains("review-comment--resolved")) all.push(range);
      if (show) {
        show.hidden = false;
        show.addEventListener("click", function () {
          var box = range.getBoundingClientRect();
          window.scrollBy({ top: box.top - window.innerHeight / 3, behavior: "smooth" });
          if (highlights) CSS.highlights.set("review-passage-current", new Highlight(range));
          document.querySelectorAll(".review-comment--current").forEach(function (other) {
            other.classList.remove("review-comment--current");
          });
          item.classList.add("review-comment--current");
        });
      }
    });
    if (highlights && all.length) CSS.highlights.set("review-passage", new Highlight(...all));
  }

  // ---------------------------------------------------------------- selection to comment

  if (!form) return;
  var quoteField = form.querySelector("[name=quote]");
  var bodyField = form.querySelector("[name=body]");
  var beforeField = form.querySelector("[name=before]");
  var afterField = form.querySelector("[name=after]");
  var areas = [article].concat(Array.prototype.slice.call(document.querySelectorAll("#changes .diff")));

  var button = document.createElement("button");
  button.type = "button";
  button.className = "review-button selection-comment";
  button.textContent = "Comment on the selection";
  button.hidden = true;
  document.body.appendChild(button);

  var pending = null;

  function areaOf(node) {
    for (var i = 0; i < areas.length; i++) {
      if (areas[i] && areas[i].contains(node)) return areas[i];
    }
    return null;
  }

  function readSelection() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    var range = selection.getRangeAt(0);
    var area = areaOf(range.commonAncestorContainer);
    if (!area) return null;
    var quote = normalise(visibleText(range.cloneContents()));
    if (!quote) return null;
    var before = document.createRange();
    before.setStart(area, 0);
    before.setEnd(range.startContainer, range.startOffset);
    var after = document.createRange();
    after.setStart(range.endContainer, range.endOffset);
    after.setEnd(area, area.childNodes.length);
    return {
      quote: quote.slice(0, 1000),
      before: normalise(visibleText(before.cloneContents())).slice(-CONTEXT),
      after: normalise(visibleText(after.cloneContents())).slice(0, CONTEXT),
    };
  }

  document.addEventListener("selectionchange", function () {
    pending = readSelection();
    button.hidden = !pending;
  });

  // Fill in the form when the button is pressed (the selection is read when it was made:
  // pressing the button may clear it).
  button.addEventListener("mousedown", function (event) {
    event.preventDefault(); // keep the selection
  });
  button.addEventListener("click", function () {
    if (!pending) return;
    quoteField.value = pending.quote;
    beforeField.value = pending.before;
    afterField.value = pending.after;
    button.hidden = true;
    form.scrollIntoView({ behavior: "smooth", block: "center" });
    bodyField.focus({ preventScroll: true });
  });

  // Typing or pasting a passage by hand: the context of an old selection no longer applies.
  quoteField.addEventListener("input", function () {
    beforeField.value = "";
    afterField.value = "";
  });
})();
