// cellsentry console: live updates (server-sent events), the chime, the
// keyboard and actions without reloading the page. Every page also works
// without this script: forms post and come back.
'use strict';

(function () {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : '';
  const page = document.body.dataset.page;
  const flash = document.getElementById('flash');

  function showError(msg) {
    if (!flash) return;
    flash.textContent = msg;
    flash.hidden = false;
    clearTimeout(showError.timer);
    showError.timer = setTimeout(function () { flash.hidden = true; }, 10000);
  }

  // ---- Actions: post the form with fetch and the CSRF header. ----
  async function submitAction(form) {
    const body = new URLSearchParams(new FormData(form));
    body.delete('return');
    let resp;
    try {
      resp = await fetch(form.action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrf, 'Accept': 'application/json' },
        body: body,
      });
    } catch (e) {
      showError('The console did not answer: ' + e.message);
      return false;
    }
    if (resp.status === 401) { location.assign('/login?next=' + encodeURIComponent(location.pathname)); return false; }
    if (!resp.ok) {
      let msg = 'Refused (' + resp.status + ')';
      try { msg = (await resp.json()).error || msg; } catch (e) { /* not JSON */ }
      showError(msg);
      return false;
    }
    if (flash) flash.hidden = true;
    if (page === 'live') refresh(true); else location.reload();
    return true;
  }

  document.addEventListener('submit', function (ev) {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains('js-action')) return;
    ev.preventDefault();
    submitAction(form);
  });

  // ---- Sound: a chime made with WebAudio (no file); browsers allow it
  // only after the operator pressed something, hence the toggle. ----
  const soundBtn = document.getElementById('sound');
  let audio = null;
  let soundOn = false;

  function setSoundButton() {
    if (!soundBtn) return;
    const blocked = soundOn && (!audio || audio.state !== 'running');
    soundBtn.setAttribute('aria-pressed', soundOn && !blocked ? 'true' : 'false');
    soundBtn.classList.toggle('blocked', blocked);
    soundBtn.textContent = blocked ? 'Sound: blocked, press to allow' : (soundOn ? 'Sound: on' : 'Sound: off');
  }

  function ensureAudio() {
    if (!audio) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      audio = new Ctx();
      audio.onstatechange = setSoundButton;
    }
    if (audio.state === 'suspended') audio.resume().then(setSoundButton, setSoundButton);
    return audio;
  }

  // tone plays f Hz from t0 for dur s with a 10 ms attack and an
  // exponential decay, so it does not click.
  function tone(ctx, f, t0, dur) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = f;
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(0.4, t0 + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + dur);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0);
    osc.stop(t0 + dur + 0.02);
  }

  // chime: two falling tones (880 Hz then 660 Hz), twice. The count in
  // data-chimes lets a test (and a curious operator) see it rang.
  function chime() {
    document.body.dataset.chimes = String(Number(document.body.dataset.chimes || '0') + 1);
    if (!soundOn || !audio || audio.state !== 'running') return;
    const t = audio.currentTime + 0.02;
    tone(audio, 880, t, 0.25);
    tone(audio, 660, t + 0.28, 0.35);
    tone(audio, 880, t + 0.8, 0.25);
    tone(audio, 660, t + 1.08, 0.35);
  }

  function toggleSound() {
    if (soundOn && audio && audio.state === 'running') {
      soundOn = false;
    } else {
      soundOn = true;
      const ctx = ensureAudio();
      if (ctx && ctx.state === 'running') tone(ctx, 660, ctx.currentTime + 0.02, 0.15);
    }
    try { localStorage.setItem('cellsentry.sound', soundOn ? 'on' : 'off'); } catch (e) { /* private mode */ }
    setSoundButton();
  }

  if (soundBtn) {
    soundBtn.addEventListener('click', toggleSound);
    try { soundOn = localStorage.getItem('cellsentry.sound') === 'on'; } catch (e) { soundOn = false; }
    if (soundOn) ensureAudio();
    setSoundButton();
  }

  // ---- Live view: events, refresh, selection. ----
  const panel = document.getElementById('panel');
  const seen = new Set();
  let selectedId = null;

  function incidents() { return Array.from(document.querySelectorAll('li.incident')); }

  function markSeen() {
    for (const li of incidents()) seen.add(li.dataset.id);
  }

  function select(li, focus) {
    for (const other of document.querySelectorAll('li.incident.selected')) other.classList.remove('selected');
    if (!li) { selectedId = null; return; }
    li.classList.add('selected');
    selectedId = li.dataset.id;
    if (focus) li.focus();
  }

  function selected() {
    const active = document.activeElement && document.activeElement.closest && document.activeElement.closest('li.incident');
    if (active) return active;
    return selectedId ? document.getElementById('inc-' + selectedId) : null;
  }

  let fetching = false;
  let again = false;
  let forced = false;
  // refresh swaps in a new panel. It waits while the operator types in a
  // resolve form (a swap would lose the note), unless forced after an
  // action.
  async function refresh(force) {
    if (!panel) return;
    if (force === true) forced = true;
    if (fetching) { again = true; return; }
    fetching = true;
    document.body.dataset.busy = '1';
    try {
      do {
        again = false;
        const resp = await fetch('/live/panel', { credentials: 'same-origin', headers: { 'Accept': 'text/html' } });
        if (resp.redirected || resp.status === 401) { location.assign('/login'); return; }
        if (!resp.ok) { showError('Live view not updated (' + resp.status + '); retrying.'); setTimeout(refresh, 3000); return; }
        const html = await resp.text();
        const hadFocus = panel.contains(document.activeElement) || document.activeElement === document.body;
        const openResolve = document.querySelector('li.incident details.resolve[open]');
        const openId = openResolve ? openResolve.closest('li.incident').dataset.id : null;
        const typing = openResolve && openResolve.contains(document.activeElement) &&
          /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
        if (typing && !forced) { setTimeout(refresh, 2000); break; }
        forced = false;
        panel.innerHTML = html;
        markSeen();
        const li = selectedId ? document.getElementById('inc-' + selectedId) : null;
        if (li) select(li, hadFocus);
        if (openId) {
          const d = document.querySelector('#inc-' + CSS.escape(openId) + ' details.resolve');
          if (d) d.open = true;
        }
        document.body.dataset.refreshed = String(Date.now());
      } while (again);
    } catch (e) {
      showError('Live view not updated: ' + e.message);
    } finally {
      fetching = false;
      delete document.body.dataset.busy;
    }
  }

  if (page === 'live' && panel) {
    markSeen();
    panel.addEventListener('focusin', function (ev) {
      const li = ev.target.closest('li.incident');
      if (li) select(li, false);
    });
    const es = new EventSource('/api/events');
    es.addEventListener('incident', function (ev) {
      let inc;
      try { inc = JSON.parse(ev.data); } catch (e) { return; }
      if (inc.alarm === 'unacknowledged' && !seen.has(inc.id)) chime();
      seen.add(inc.id);
      refresh();
    });
    es.addEventListener('sensor', refresh);
    es.addEventListener('refresh', refresh);
    es.addEventListener('logout', function () { es.close(); location.assign('/login'); });
    es.addEventListener('open', function () { document.body.dataset.live = 'connected'; refresh(); });
    es.addEventListener('error', function () { document.body.dataset.live = 'reconnecting'; });
    // Ages ("3 min ago") go stale without events.
    setInterval(refresh, 30000);
  }

  // ---- Keyboard ----
  const help = document.getElementById('help');
  document.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.altKey || ev.metaKey) return;
    const t = ev.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || (t && t.isContentEditable)) {
      if (ev.key === 'Escape') t.blur();
      return;
    }
    if (page !== 'live') return;
    const list = incidents();
    const cur = selected();
    const i = cur ? list.indexOf(cur) : -1;
    switch (ev.key) {
      case 'j': case 'ArrowDown':
        if (list.length) select(list[Math.min(i + 1, list.length - 1)], true);
        break;
      case 'k': case 'ArrowUp':
        if (list.length) select(list[Math.max(i - 1, 0)], true);
        break;
      case 'a': {
        const form = cur && cur.querySelector('form.ack-form');
        if (form) submitAction(form); else if (!cur) showError('Select an incident first (j / k).');
        break;
      }
      case 'r': {
        const d = cur && cur.querySelector('details.resolve');
        if (d) { d.open = true; const sel = d.querySelector('select'); if (sel) sel.focus(); }
        break;
      }
      case 'Enter':
        if (cur && t === cur) location.assign('/incidents/' + encodeURIComponent(cur.dataset.id));
        else return;
        break;
      case 's':
        if (soundBtn) toggleSound();
        break;
      case '?':
        if (help) help.hidden = !help.hidden;
        break;
      case 'Escape':
        if (help) help.hidden = true;
        break;
      default:
        return;
    }
    ev.preventDefault();
  });

  // ---- Sensor page: the waterfall refreshes itself. ----
  const wf = document.getElementById('waterfall');
  if (wf && wf.dataset.src) {
    setInterval(function () { wf.src = wf.dataset.src + '?t=' + Date.now(); }, 5000);
  }
})();
