/* The review desk's editor: the transcript beside the player, edited in place, saved as a draft. */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('desk-data').textContent);
  var T = D.t;
  var box = document.getElementById('transcript');
  var player = document.getElementById('player');
  var statusEl = document.getElementById('status');
  var version = D.version;
  var segs = [];
  var timeline = [];
  var stops = [];
  var cursor = -1;
  var saveTimer = null;
  var saving = null;
  var dirty = false;
  var blocked = false;
  var nowEl = null;
  var SAVE_AFTER_MS = 2000;

  function norm(s) { return String(s || '').split(/\s+/).filter(Boolean).join(' '); }
  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }
  function clock(t) {
    t = Math.max(0, Math.floor(t));
    var h = Math.floor(t / 3600), m = Math.floor(t % 3600 / 60), s = t % 60;
    return (h < 10 ? '0' : '') + h + ':' + (m < 10 ? '0' : '') + m + ':' + (s < 10 ? '0' : '') + s;
  }
  function fmt(s, o) { return String(s).replace(/\{(\w+)\}/g, function (_, k) { return o[k] === undefined ? '' : o[k]; }); }
  function wordsText(w) { return norm(w.map(function (x) { return x[2]; }).join('')); }
  function say(text, cls) { statusEl.textContent = text; statusEl.className = 'status ' + (cls || ''); }

  // -- the model --------------------------------------------------------------------------------------
  function load(list) {
    segs = list.map(function (s) {
      return { p: s.p, src: s.p, s: s.s, e: s.e, t: s.t, sp: s.sp || '', c: s.c, f: s.f || [], low: !!s.low,
               w: (s.w && s.w.length && wordsText(s.w) === norm(s.t)) ? s.w : [], touched: false };
    });
  }

  function marksFor() {
    var marks = segs.map(function () { return []; });
    function at(t) {
      for (var i = 0; i < segs.length; i++) { if (segs[i].e > t) { return i; } }
      return segs.length - 1;
    }
    if (!segs.length) { return marks; }
    (D.guards || []).forEach(function (g) {
      marks[at(g.start)].push('<span class="mark guard" data-t="' + g.start + '">' + esc(T.guard) + ': ' +
        esc(g.kind) + ' ' + esc(g.action) + ' — «' + esc(g.text) + '»</span>');
    });
    (D.redactions || []).forEach(function (r) {
      marks[at(r.start)].push('<span class="mark redaction" data-t="' + r.start + '">' + esc(T.redacted) + ': ' +
        esc(r.kind) + ' (' + clock(r.start) + ', ' + (r.end - r.start).toFixed(1) + ' s)</span>');
    });
    (D.glossary || []).forEach(function (g) {
      marks[at(g.start)].push('<span class="mark glossary" data-t="' + g.start + '">' + esc(T.glossary_fix) + ': «' +
        esc(g.heard) + '» → «' + esc(g.term) + '»</span>');
    });
    return marks;
  }

  function textHTML(seg) {
    if (!seg.w.length) { return esc(seg.t); }
    return seg.w.map(function (w) {
      return '<span class="w' + (w[3] < D.threshold ? ' lw' : '') + '" data-s="' + w[0] + '">' + esc(w[2]) + '</span>';
    }).join('');
  }

  function segHTML(seg, i, marks) {
    return '<div class="seg' + (seg.low ? ' low' : '') + (marks.length ? ' flagged' : '') + '" data-i="' + i + '">' +
      '<div class="meta"><a href="#" class="ts" data-t="' + seg.s + '">[' + clock(seg.s) + ']</a> ' +
      '<button type="button" class="sp" title="' + esc(T.speaker) + '">' + esc(seg.sp || '—') + '</button>' +
      (seg.low ? ' <span class="badge">' + esc(T.unsure) + ' ' + Math.round(seg.c * 100) + '%</span>' : '') +
      ' <button type="button" class="split" title="' + esc(T.split) + '">✂</button>' +
      (i ? ' <button type="button" class="merge" title="' + esc(T.merge) + '">⤒</button>' : '') +
      '</div>' + (marks.length ? '<div class="marks">' + marks.join('') + '</div>' : '') +
      '<div class="tx" contenteditable="true" spellcheck="false">' + textHTML(seg) + '</div></div>';
  }

  function render() {
    var marks = marksFor();
    var html = [];
    for (var i = 0; i < segs.length; i++) { html.push(segHTML(segs[i], i, marks[i])); }
    box.innerHTML = html.join('');
    var els = box.children;
    stops = [];
    for (var j = 0; j < segs.length; j++) {
      segs[j].el = els[j];
      segs[j].te = els[j].lastChild;
      if (segs[j].low || marks[j].length) { stops.push(j); }
    }
    buildTimeline();
  }

  function buildTimeline() {
    timeline = [];
    segs.forEach(function (seg) {
      if (seg.w.length && !seg.touched) {
        var spans = seg.te.querySelectorAll('.w');
        for (var k = 0; k < spans.length; k++) { timeline.push([seg.w[k][0], spans[k]]); }
      } else {
        timeline.push([seg.s, seg.el]);
      }
    });
    timeline.sort(function (a, b) { return a[0] - b[0]; });
  }

  function indexOf(el) {
    var s = el.closest('.seg');
    return s ? parseInt(s.getAttribute('data-i'), 10) : -1;
  }

  function current(seg) { return norm(seg.te ? seg.te.textContent : seg.t); }

  function collect() {
    return segs.map(function (seg) {
      var text = current(seg);
      if (!seg.touched && seg.p !== null && seg.p !== undefined) { return { p: seg.p }; }
      var item = { s: seg.s, e: seg.e, t: text, f: seg.f, sp: seg.sp || null,
                   w: (seg.w.length && wordsText(seg.w) === text) ? seg.w : [] };
      if (seg.src !== null && seg.src !== undefined) { item.src = seg.src; }
      return item;
    });
  }

  // -- the player -----------------------------------------------------------------------------------
  function seek(t, play) {
    if (!player) { return; }
    player.currentTime = t;
    if (play) { var p = player.play(); if (p && p.catch) { p.catch(function () {}); } }
  }

  function find(t) {
    var lo = 0, hi = timeline.length - 1, ans = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (timeline[mid][0] <= t + 0.001) { ans = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return ans;
  }

  function highlight() {
    if (!player) { return; }
    var i = find(player.currentTime);
    var el = i >= 0 ? timeline[i][1] : null;
    if (el === nowEl) { return; }
    if (nowEl) { nowEl.classList.remove('now'); }
    nowEl = el;
    if (!el) { return; }
    el.classList.add('now');
    if (document.getElementById('follow').checked && !player.paused) {
      var r = el.getBoundingClientRect();
      var h = window.innerHeight || document.documentElement.clientHeight;
      if (r.top < h * 0.2 || r.bottom > h * 0.8) { el.scrollIntoView({ block: 'center' }); }
    }
  }

  function tick() {
    highlight();
    if (player && !player.paused) { window.requestAnimationFrame(tick); }
  }

  function rate(delta) {
    if (!player) { return; }
    player.playbackRate = Math.min(3, Math.max(0.5, Math.round((player.playbackRate + delta) * 100) / 100));
    document.getElementById('rate').textContent = player.playbackRate.toFixed(2).replace(/0$/, '') + '×';
  }

  function toggle() {
    if (!player) { return; }
    if (player.paused) { var p = player.play(); if (p && p.catch) { p.catch(function () {}); } } else { player.pause(); }
  }

  // -- flagged stops --------------------------------------------------------------------------------
  function jump(dir) {
    if (!stops.length) { return; }
    var at = cursor;
    var sel = window.getSelection();
    if (sel && sel.anchorNode && box.contains(sel.anchorNode)) {
      at = indexOf(sel.anchorNode.nodeType === 1 ? sel.anchorNode : sel.anchorNode.parentElement);
    }
    var next = -1;
    if (dir > 0) {
      for (var i = 0; i < stops.length; i++) { if (stops[i] > at) { next = stops[i]; break; } }
      if (next < 0) { next = stops[0]; }
    } else {
      for (var j = stops.length - 1; j >= 0; j--) { if (stops[j] < at) { next = stops[j]; break; } }
      if (next < 0) { next = stops[stops.length - 1]; }
    }
    cursor = next;
    var seg = segs[next];
    box.querySelectorAll('.seg.stop').forEach(function (e) { e.classList.remove('stop'); });
    seg.el.classList.add('stop');
    seg.el.scrollIntoView({ block: 'center' });
    caret(seg.te, 0);
    seek(seg.s, false);
  }

  function caret(el, offset) {
    el.focus();
    var range = document.createRange();
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    var node = walker.nextNode(), left = offset;
    while (node && left > node.length) { left -= node.length; node = walker.nextNode(); }
    if (node) { range.setStart(node, Math.min(left, node.length)); } else { range.setStart(el, 0); }
    range.collapse(true);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function caretOffset(el) {
    var sel = window.getSelection();
    if (!sel.rangeCount) { return -1; }
    var r = sel.getRangeAt(0);
    if (!el.contains(r.startContainer)) { return -1; }
    var pre = document.createRange();
    pre.selectNodeContents(el);
    pre.setEnd(r.startContainer, r.startOffset);
    return pre.toString().length;
  }

  // -- split and merge ------------------------------------------------------------------------------
  function sync() {
    // the text typed into segments becomes the model's, before anything is drawn again
    segs.forEach(function (seg) {
      if (!seg.touched || !seg.te) { return; }
      seg.t = current(seg);
      if (seg.w.length && wordsText(seg.w) !== seg.t) { seg.w = []; }
    });
  }

  function rerender(from, count, replacement, focusIndex, focusOffset) {
    var args = [from, count].concat(replacement);
    Array.prototype.splice.apply(segs, args);
    render();
    if (focusIndex !== undefined && segs[focusIndex]) { caret(segs[focusIndex].te, focusOffset || 0); }
    changed();
  }

  function split(i, off) {
    sync();
    var seg = segs[i];
    var raw = seg.te.textContent;
    if (off < 0) { off = Math.floor(raw.length / 2); }
    var left = norm(raw.slice(0, off)), right = norm(raw.slice(off));
    if (!left || !right) { return; }
    var text = norm(raw), a, b;
    var base = { p: null, src: seg.p !== null && seg.p !== undefined ? seg.p : seg.src, f: seg.f, low: seg.low,
                 sp: seg.sp, c: seg.c, touched: true };
    var k = -1;
    if (seg.w.length && wordsText(seg.w) === text) {
      for (var j = 1; j < seg.w.length; j++) { if (wordsText(seg.w.slice(0, j)) === left) { k = j; break; } }
    }
    if (k > 0) {
      a = Object.assign({}, base, { s: seg.s, e: seg.w[k - 1][1], t: left, w: seg.w.slice(0, k) });
      b = Object.assign({}, base, { s: seg.w[k][0], e: seg.e, t: right, w: seg.w.slice(k) });
    } else {
      var mid = Math.round((seg.s + (seg.e - seg.s) * left.length / Math.max(1, text.length)) * 1000) / 1000;
      a = Object.assign({}, base, { s: seg.s, e: mid, t: left, w: [] });
      b = Object.assign({}, base, { s: mid, e: seg.e, t: right, w: [] });
    }
    rerender(i, 1, [a, b], i + 1, 0);
  }

  function merge(i) {
    if (i < 1) { return; }
    sync();
    var a = segs[i - 1], b = segs[i];
    var ta = current(a), tb = current(b);
    var wa = a.w.length && wordsText(a.w) === ta, wb = b.w.length && wordsText(b.w) === tb;
    var m = { p: null, src: a.p !== null && a.p !== undefined ? a.p : a.src, s: a.s, e: Math.max(a.e, b.e),
              t: norm(ta + ' ' + tb), f: a.f, low: a.low || b.low, sp: a.sp, c: Math.min(a.c, b.c),
              w: (wa && wb) ? a.w.concat(b.w) : [], touched: true };
    rerender(i - 1, 2, [m], i - 1, ta.length + 1);
  }

  // -- saving ------------------------------------------------------------------------------------------
  function post(url, body, keepalive) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin', keepalive: !!keepalive,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': D.csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return { error: r.statusText }; }).then(function (j) {
        return { status: r.status, body: j };
      });
    });
  }

  function changed() {
    dirty = true;
    say(T.unsaved, 'unsaved');
    if (saveTimer) { clearTimeout(saveTimer); }
    saveTimer = setTimeout(save, SAVE_AFTER_MS);
  }

  function save() {
    if (saveTimer) { clearTimeout(saveTimer); saveTimer = null; }
    if (blocked) { return Promise.resolve(false); }
    if (saving) { return saving.then(function () { return dirty ? save() : true; }); }
    if (!dirty) { return Promise.resolve(true); }
    dirty = false;
    say(T.saving, 'saving');
    var url = '/b/' + encodeURIComponent(D.id) + '/draft';
    saving = post(url, { base_version: version, segments: collect() }).then(function (r) {
      saving = null;
      if (r.status === 200) {
        version = r.body.version;
        say(fmt(T.saved, { v: version }), 'saved');
        document.body.setAttribute('data-version', version);
        refreshDiff();
        return true;
      }
      dirty = true;
      if (r.status === 409) { conflict(r.body); return false; }
      say(fmt(T.save_failed, { e: r.body.error || r.status }), 'error');
      return false;
    }, function (e) {
      saving = null;
      dirty = true;
      say(fmt(T.save_failed, { e: e }), 'error');
      return false;
    });
    return saving;
  }

  function conflict(body) {
    blocked = true;
    var L = body.latest || {};
    var box2 = document.getElementById('conflict');
    box2.hidden = false;
    document.getElementById('conflict-msg').textContent = fmt(T.conflict, { a: L.author || '?', v: L.version,
      t: L.created_at || '', r: body.refused === null ? '-' : body.refused });
    say(fmt(T.save_failed, { e: 'conflict' }), 'error');
    var theirs = (L.segments || []).map(function (s) { return norm(s.t); });
    var mine = segs.map(current);
    var ts = {}, ms = {};
    theirs.forEach(function (x) { ts[x] = 1; });
    mine.forEach(function (x) { ms[x] = 1; });
    var html = '<div class="cols"><div><h3>' + esc(T.theirs) + '</h3>' +
      theirs.filter(function (x) { return !ms[x]; }).map(function (x) { return '<p class="theirs">' + esc(x) + '</p>'; }).join('') +
      '</div><div><h3>' + esc(T.yours) + '</h3>' +
      mine.filter(function (x) { return !ts[x]; }).map(function (x) { return '<p class="mine">' + esc(x) + '</p>'; }).join('') +
      '</div></div>';
    document.getElementById('conflict-diff').innerHTML = html;
    box2.latest = L;
  }

  function resolve(takeTheirs) {
    var box2 = document.getElementById('conflict');
    var L = box2.latest || {};
    box2.hidden = true;
    blocked = false;
    version = L.version;
    if (takeTheirs) {
      load(L.segments || []);
      render();
      document.body.setAttribute('data-version', version);
      dirty = false;
      say(fmt(T.saved, { v: version }), 'saved');
    } else {
      dirty = true;
      save();
    }
  }

  function reload() {
    return fetch('/b/' + encodeURIComponent(D.id) + '/data', { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        version = d.version;
        D.guards = d.guards; D.redactions = d.redactions; D.glossary = d.glossary; D.roster = d.roster;
        load(d.segments);
        render();
        document.body.setAttribute('data-version', version);
      });
  }

  function refreshDiff() {
    var det = document.getElementById('diff-box');
    if (!det.open) { return; }
    fetch('/b/' + encodeURIComponent(D.id) + '/diff', { credentials: 'same-origin' })
      .then(function (r) { return r.text(); })
      .then(function (h) { document.getElementById('diff').innerHTML = h; });
  }

  // -- speakers ----------------------------------------------------------------------------------------
  var picker = document.createElement('select');
  picker.id = 'sp-pick';
  picker.hidden = true;
  document.body.appendChild(picker);

  function pickSpeaker(i, button) {
    var opts = ['<option value="">' + esc(T.speaker) + '…</option>'];
    (D.roster || []).forEach(function (n) { opts.push('<option>' + esc(n) + '</option>'); });
    opts.push('<option value="__new__">' + esc(T.new_speaker) + '</option>');
    picker.innerHTML = opts.join('');
    var r = button.getBoundingClientRect();
    picker.style.position = 'absolute';
    picker.style.left = (r.left + window.scrollX) + 'px';
    picker.style.top = (r.bottom + window.scrollY) + 'px';
    picker.hidden = false;
    picker.dataset.i = i;
    picker.focus();
  }

  picker.addEventListener('change', function () {
    var i = parseInt(picker.dataset.i, 10), name = picker.value, isNew = false;
    picker.hidden = true;
    if (!name) { return; }
    if (name === '__new__') {
      name = window.prompt(T.new_speaker_prompt) || '';
      isNew = true;
      if (!norm(name)) { return; }
    }
    var seg = segs[i], j = i;
    if (seg.sp) { while (j + 1 < segs.length && segs[j + 1].sp === seg.sp) { j++; } }
    post('/b/' + encodeURIComponent(D.id) + '/speaker', { name: name, start: seg.s, end: segs[j].e, new: isNew })
      .then(function (r) {
        if (r.status !== 200) { say(fmt(T.save_failed, { e: r.body.error || r.status }), 'error'); return; }
        if (isNew && D.roster.indexOf(norm(name)) < 0) { D.roster.push(norm(name)); }
        applyTurns(r.body.turns);
      });
  });
  picker.addEventListener('blur', function () { picker.hidden = true; });

  function applyTurns(turns) {
    segs.forEach(function (seg) {
      var best = null, score = 0;
      turns.forEach(function (t) {
        var o = Math.max(0, Math.min(seg.e, t.end) - Math.max(seg.s, t.start));
        if (o > score) { best = t.name; score = o; }
      });
      if (best) { seg.sp = best; }
      seg.el.querySelector('.sp').textContent = seg.sp || '—';
    });
  }

  // -- events -------------------------------------------------------------------------------------------
  box.addEventListener('click', function (ev) {
    var el = ev.target;
    if (el.classList.contains('ts') || el.classList.contains('mark')) {
      ev.preventDefault();
      seek(parseFloat(el.getAttribute('data-t')), true);
      return;
    }
    if (el.classList.contains('w')) { seek(parseFloat(el.getAttribute('data-s')), true); return; }
    if (el.classList.contains('sp')) { pickSpeaker(indexOf(el), el); return; }
    if (el.classList.contains('split')) { var i = indexOf(el); split(i, -1); return; }
    if (el.classList.contains('merge')) { merge(indexOf(el)); }
  });

  box.addEventListener('input', function (ev) {
    var i = indexOf(ev.target);
    if (i < 0) { return; }
    segs[i].touched = true;
    if (player && !player.paused && document.getElementById('pause-typing').checked) { player.pause(); }
    changed();
  });

  box.addEventListener('keydown', function (ev) {
    if (!ev.target.classList || !ev.target.classList.contains('tx')) { return; }
    var i = indexOf(ev.target);
    if (ev.key === 'Enter' && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
      ev.preventDefault();
      split(i, caretOffset(ev.target));
    } else if (ev.key === 'Backspace' && i > 0 && caretOffset(ev.target) === 0 &&
               window.getSelection().isCollapsed) {
      ev.preventDefault();
      merge(i);
    }
  });

  document.addEventListener('keydown', function (ev) {
    var k = ev.key;
    if (ev.ctrlKey && !ev.altKey && (k === 'k' || k === 'K')) { ev.preventDefault(); toggle(); }
    else if (ev.ctrlKey && !ev.altKey && (k === 'j' || k === 'J')) {
      ev.preventDefault();
      if (player) { seek(Math.max(0, player.currentTime - 5), !player.paused); }
    }
    else if (ev.ctrlKey && k === ',') { ev.preventDefault(); rate(-0.25); }
    else if (ev.ctrlKey && k === '.') { ev.preventDefault(); rate(0.25); }
    else if (ev.altKey && k === 'ArrowDown') { ev.preventDefault(); jump(1); }
    else if (ev.altKey && k === 'ArrowUp') { ev.preventDefault(); jump(-1); }
  }, true);

  document.getElementById('next-flag').addEventListener('click', function () { jump(1); });
  document.getElementById('prev-flag').addEventListener('click', function () { jump(-1); });
  document.getElementById('take-theirs').addEventListener('click', function () { resolve(true); });
  document.getElementById('keep-mine').addEventListener('click', function () { resolve(false); });
  document.getElementById('diff-box').addEventListener('toggle', refreshDiff);
  document.getElementById('diff').addEventListener('click', function (ev) {
    if (ev.target.classList.contains('ts')) { ev.preventDefault(); seek(parseFloat(ev.target.getAttribute('data-t')), true); }
  });

  if (player) {
    player.addEventListener('play', function () { window.requestAnimationFrame(tick); });
    player.addEventListener('seeked', highlight);
    player.addEventListener('timeupdate', highlight);
  }

  var form = document.getElementById('publish-form');
  if (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var out = document.getElementById('publish-result');
      var note = norm(document.getElementById('note').value);
      if (!note) { out.textContent = T.need_note; out.className = 'error'; return; }
      var btn = document.getElementById('publish');
      btn.disabled = true;
      save().then(function (ok) {
        if (!ok && blocked) { btn.disabled = false; return null; }
        return post('/b/' + encodeURIComponent(D.id) + '/publish',
                    { base_version: version, note: note, notify: document.getElementById('notify').checked });
      }).then(function (r) {
        btn.disabled = false;
        if (!r) { return; }
        if (r.status === 200) {
          var link = r.body.link || '';
          out.className = 'ok';
          out.innerHTML = esc(fmt(T.published, { v: r.body.site_version, l: '' })) +
            (/^https?:\/\//.test(link) ? '<a id="published-link" href="' + esc(link) + '">' + esc(link) + '</a>'
                                       : '<code id="published-link">' + esc(link) + '</code>');
          document.getElementById('note').value = '';
          reload();
        } else if (r.status === 409) {
          conflict({ latest: r.body.latest, refused: null });
        } else {
          out.className = 'error';
          out.textContent = fmt(T.publish_failed, { e: r.body.error || r.status });
        }
      });
    });
  }

  window.addEventListener('pagehide', function () {
    if (dirty && !blocked) {
      post('/b/' + encodeURIComponent(D.id) + '/draft', { base_version: version, segments: collect() }, true);
    }
  });

  load(D.segments);
  render();
  document.body.setAttribute('data-version', version);
  window.deskReadyAt = performance.now();
  document.body.setAttribute('data-ready', '1');
}());
