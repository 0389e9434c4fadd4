/* briefing press page: timestamp links seek the player; #t=SECONDS on load; highlight the current segment.
   No dependencies, no network. The page works without it (links then only change the address). */
(function () {
  "use strict";
  var media = document.getElementById("player");
  if (!media) return;
  var segs = Array.prototype.slice.call(document.querySelectorAll(".segments .seg[data-start]"));
  var starts = segs.map(function (p) { return parseFloat(p.getAttribute("data-start")) || 0; });
  var current = null;

  function inView(el) {
    var r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < (window.innerHeight || document.documentElement.clientHeight);
  }

  function seek(t, play) {
    if (!isFinite(t) || t < 0) return;
    var apply = function () { try { media.currentTime = t; } catch (e) { /* not seekable yet */ } };
    apply();
    if (media.readyState < 1) media.addEventListener("loadedmetadata", apply, { once: true });
    highlight(t);
    if (play) {
      var p = media.play();
      if (p && p.catch) p.catch(function () { /* autoplay refused: the position is still set */ });
      if (!inView(media)) media.scrollIntoView({ block: "nearest" });
    }
  }

  function fromHash(play) {
    var m = /^#t=(\d+(?:\.\d+)?)/.exec(window.location.hash);
    if (m) seek(parseFloat(m[1]), play);
  }

  function highlight(t) {
    if (!segs.length) return;
    var lo = 0, hi = starts.length - 1, idx = -1;
    while (lo <= hi) {                     // last segment starting at or before t
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t + 0.05) { idx = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    var el = idx >= 0 ? segs[idx] : null;
    if (el && t > parseFloat(el.getAttribute("data-end")) + 1.5) el = null;   // in a pause between segments
    if (el === current) return;
    if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
    if (el) { el.classList.add("current"); el.setAttribute("aria-current", "true"); }
    current = el;
  }

  document.addEventListener("click", function (ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    var a = ev.target.closest ? ev.target.closest("a[data-t]") : null;
    if (!a) return;
    ev.preventDefault();
    if (window.history && history.replaceState) history.replaceState(null, "", a.getAttribute("href"));
    seek(parseFloat(a.getAttribute("data-t")), true);
  });
  window.addEventListener("hashchange", function () { fromHash(true); });
  media.addEventListener("timeupdate", function () { highlight(media.currentTime); });
  media.addEventListener("seeked", function () { highlight(media.currentTime); });
  fromHash(false);
})();
