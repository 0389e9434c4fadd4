/* briefing press page: timestamp links seek the player; #t=START or #t=START,END on load (a range plays
   from START and stops at END, its passage highlighted); the current segment is highlighted; a selected
   passage of the transcript can be copied as a link (#t=START,END) or as a quote with its source.
   No dependencies, no network. The page works without it (links then only change the address). */
(function () {
  "use strict";
  var media = document.getElementById("player");
  if (!media) return;
  var segs = Array.prototype.slice.call(document.querySelectorAll(".segments .seg[data-start]"));
  var starts = segs.map(function (p) { return parseFloat(p.getAttribute("data-start")) || 0; });
  var current = null;
  var range = null;        // {start, end} of the linked passage being played

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

  function parseHash() {
    var m = /^#t=(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?$/.exec(window.location.hash);
    if (!m) return null;
    var a = parseFloat(m[1]), b = m[2] !== undefined ? parseFloat(m[2]) : null;
    return { start: a, end: b !== null && b > a ? b : null };
  }

  function markRange(r) {
    segs.forEach(function (p) {
      var s = parseFloat(p.getAttribute("data-start")), e = parseFloat(p.getAttribute("data-end"));
      var inside = r && r.end !== null && e > r.start + 0.05 && s < r.end - 0.05;
      p.classList.toggle("in-range", !!inside);
    });
    var first = document.querySelector(".segments .seg.in-range");
    if (first && !inView(first)) first.scrollIntoView({ block: "center" });
  }

  function fromHash(play) {
    var r = parseHash();
    if (!r) return;
    range = r.end !== null ? r : null;
    markRange(range);
    seek(r.start, play || !!range);
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

  function stopAtEnd() {
    if (range && range.end !== null && media.currentTime >= range.end) {
      media.pause();
      try { media.currentTime = range.end; } catch (e) { /* ignore */ }
      media.setAttribute("data-range-ended", "true");
      range = null;
    }
  }

  document.addEventListener("click", function (ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    var a = ev.target.closest ? ev.target.closest("a[data-t]") : null;
    if (!a) return;
    ev.preventDefault();
    if (window.history && history.replaceState) history.replaceState(null, "", a.getAttribute("href"));
    range = null;
    markRange(null);
    seek(parseFloat(a.getAttribute("data-t")), true);
  });
  window.addEventListener("hashchange", function () { fromHash(true); });
  media.addEventListener("timeupdate", function () { highlight(media.currentTime); stopAtEnd(); });
  media.addEventListener("seeked", function () { highlight(media.currentTime); });

  // captions on in the embeddable player
  if (document.body.classList.contains("embed-page") && media.textTracks && media.textTracks.length) {
    media.textTracks[0].mode = "showing";
  }

  // ---- clips: a selected passage of the transcript → copy link / copy quote
  var section = document.querySelector("section.transcript");
  var tools = document.getElementById("clip-tools");
  var status = document.getElementById("clip-status");
  var clip = null;

  function segOf(node) {
    var el = node && (node.nodeType === 1 ? node : node.parentNode);
    return el && el.closest ? el.closest(".segments .seg[data-start]") : null;
  }

  function fmt(seconds) {
    var s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), x = s % 60;
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h ? h + ":" + p(m) : p(m)) + ":" + p(x);
  }

  function num(x) { return String(Math.round(x * 10) / 10); }

  function pageUrl() {
    var u = section && section.getAttribute("data-url");
    return u || window.location.href.replace(/#.*$/, "");
  }

  function currentClip() {
    var sel = window.getSelection ? window.getSelection() : null;
    if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
    var r = sel.getRangeAt(0);
    var a = segOf(r.startContainer), b = segOf(r.endContainer);
    if (!a || !b) return null;
    if (segs.indexOf(a) > segs.indexOf(b)) { var tmp = a; a = b; b = tmp; }
    var text = sel.toString().replace(/\s+/g, " ").trim();
    // the timestamps shown at the start of each segment are not part of what was said
    text = text.replace(/(^|\s)\d{1,2}(?::\d{2}){1,2}(?=\s)/g, " ").replace(/\s+/g, " ").trim();
    if (!text) return null;
    var start = parseFloat(a.getAttribute("data-start")), end = parseFloat(b.getAttribute("data-end"));
    var said = a.querySelector(".seg-text");
    var speaker = said ? said.getAttribute("data-speaker") : "";
    var link = pageUrl() + "#t=" + num(start) + "," + num(end);
    return { start: start, end: end, text: text, speaker: speaker, link: link };
  }

  function quoteOf(c) {
    var title = section.getAttribute("data-title"), date = section.getAttribute("data-date");
    return "\u201c" + c.text + "\u201d \u2014 " + (c.speaker ? c.speaker + ", " : "") + title + ", " + date +
      " (" + fmt(c.start) + "\u2013" + fmt(c.end) + "). " + c.link;
  }

  function copy(text) {
    var done = function () { status.textContent = status.getAttribute("data-copied"); };
    var fallback = function () {
      var ta = document.createElement("textarea");
      ta.value = text; ta.setAttribute("readonly", ""); ta.className = "visually-hidden";
      document.body.appendChild(ta); ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      if (ok) done(); else status.textContent = status.getAttribute("data-failed") + " " + text;
    };
    tools.setAttribute("data-copied-text", text);
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  if (section && tools) {
    document.addEventListener("selectionchange", function () {
      var c = currentClip();
      if (c) { clip = c; tools.hidden = false; status.textContent = ""; }
      else if (!tools.contains(document.activeElement)) { tools.hidden = true; }
    });
    document.getElementById("copy-link").addEventListener("click", function () { if (clip) copy(clip.link); });
    document.getElementById("copy-quote").addEventListener("click", function () { if (clip) copy(quoteOf(clip)); });
  }

  fromHash(false);
})();
