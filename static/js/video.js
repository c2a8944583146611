/*
 * Click-to-load videos (articles.rendering writes them: a.video-embed__link with the
 * player's address in data-embed). Until the reader clicks, the page loads nothing from
 * the video site; the click swaps the link for the privacy-enhanced player
 * (youtube-nocookie.com, Vimeo with dnt=1), which the Content-Security-Policy allows as the
 * only frame sources. Without JavaScript the link simply opens the video's page.
 */
(function () {
  "use strict";

  // Only these players, whatever the page says (the body's HTML is written by editors).
  var PLAYER =
    /^https:\/\/(www\.youtube-nocookie\.com\/embed\/[A-Za-z0-9_-]{11}|player\.vimeo\.com\/video\/[0-9]+)(\?[A-Za-z0-9_=&.-]*)?$/;

  function play(link) {
    var src = link.getAttribute("data-embed") || "";
    if (!PLAYER.test(src)) {
      return false;
    }
    var title = link.querySelector(".video-embed__title");
    var frame = document.createElement("iframe");
    frame.className = "video-embed__frame";
    frame.src = src + (src.indexOf("?") === -1 ? "?" : "&") + "autoplay=1";
    frame.title = title ? title.textContent : "Video";
    frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
    frame.allowFullscreen = true;
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    link.replaceWith(frame);
    frame.focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return; // a new tab or window: follow the link as usual
    }
    var link = event.target instanceof Element ? event.target.closest("a.video-embed__link") : null;
    if (link && play(link)) {
      event.preventDefault();
    }
  });
})();
