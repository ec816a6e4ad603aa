// Agent desktop glue: keeps each open chat panel in sync over the page's WebSocket (htmx ws extension),
// drops any entry it already shows, and loads the map only when a panel has coordinates.
(function () {
  'use strict';
  let socket = null;

  function lastSeq(list) {
    let max = 0;
    for (const li of list.querySelectorAll('[data-seq]')) max = Math.max(max, Number(li.dataset.seq));
    return max;
  }

  // Ask the server for everything after what each visible panel shows: on load, after a reconnect and
  // after every answer swapped in; after one that did what was asked, for the panel's state too (the
  // answer may be older than a push that came first).
  function syncPanels(redraw) {
    if (!socket) return;
    for (const list of document.querySelectorAll('ol.messages[data-interaction]')) {
      socket.send(JSON.stringify({ type: 'sync', interaction: list.dataset.interaction, after: lastSeq(list), redraw: redraw === true }));
    }
  }

  // Entries can reach a panel twice (an HTTP render racing a push): keep the first, keep seq order.
  function tidyLists() {
    for (const list of document.querySelectorAll('ol.messages[data-interaction]')) {
      const seen = new Set();
      const items = Array.from(list.querySelectorAll(':scope > [data-seq]'));
      let sorted = true;
      let prev = 0;
      for (const li of items) {
        const seq = Number(li.dataset.seq);
        if (seen.has(seq)) li.remove();
        else {
          seen.add(seq);
          if (seq < prev) sorted = false;
          prev = seq;
        }
      }
      if (!sorted) {
        Array.from(list.querySelectorAll(':scope > [data-seq]'))
          .sort((a, b) => Number(a.dataset.seq) - Number(b.dataset.seq))
          .forEach((li) => list.appendChild(li));
      }
      if (list.dataset.count !== String(seen.size)) {
        list.dataset.count = String(seen.size);
        list.scrollTop = list.scrollHeight;
      }
    }
  }

  // An offered chat open in the workspace has its own Accept: the list's is hidden meanwhile, so the
  // page has one control named Accept for that chat.
  function oneAcceptPerChat() {
    for (const button of document.querySelectorAll('#interaction-list button.accept[data-interaction]')) {
      button.hidden = document.querySelector(`section.interaction[data-interaction="${CSS.escape(button.dataset.interaction)}"] button.accept`) !== null;
    }
  }

  let leaflet = null;
  function loadLeaflet() {
    if (leaflet) return leaflet;
    leaflet = new Promise((resolve, reject) => {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = '/vendor/leaflet/leaflet.css';
      document.head.appendChild(css);
      const script = document.createElement('script');
      script.src = '/vendor/leaflet/leaflet.js';
      script.onload = () => resolve(window.L);
      script.onerror = reject;
      document.head.appendChild(script);
    });
    return leaflet;
  }

  // The coordinates are already in the page as text; the map adds a marker (tiles only where reachable).
  function initMaps() {
    for (const box of document.querySelectorAll('.context-map[data-lat]:not([data-map-ready])')) {
      box.dataset.mapReady = 'pending';
      loadLeaflet().then((L) => {
        const lat = Number(box.dataset.lat);
        const lon = Number(box.dataset.lon);
        const canvas = document.createElement('div');
        canvas.className = 'map-canvas';
        box.prepend(canvas);
        const map = L.map(canvas, { attributionControl: true }).setView([lat, lon], 15);
        L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: '© OpenStreetMap contributors' }).addTo(map);
        L.marker([lat, lon], { title: 'Customer location', alt: 'Customer location' }).addTo(map);
        box.dataset.mapReady = 'yes';
      }, () => {
        box.dataset.mapReady = 'failed';
      });
    }
  }

  // The browser softphone loads only when the agent works (Ready) and uses it (not a desk phone).
  let softphone = null;
  function phoneMode() {
    return localStorage.getItem('phone-mode') || 'browser';
  }
  function setPhoneState(text, state) {
    const el = document.getElementById('phone-state');
    if (el) {
      el.textContent = text;
      el.dataset.state = state;
    }
  }
  function maybeStartSoftphone() {
    const desktop = document.querySelector('.desktop[data-calling="on"]');
    const ready = document.querySelector('.presence-ready');
    if (desktop && phoneMode() === 'desk') return setPhoneState('Calls ring your desk phone', 'desk');
    if (!desktop || !ready || softphone || phoneMode() !== 'browser') return;
    softphone = import('/client/softphone.js')
      .then((m) => m.startSoftphone({ onState: setPhoneState }))
      .catch((err) => {
        softphone = null;
        setPhoneState(`Phone failed: ${err.message}`, 'error');
      });
  }

  // Video: a request raises a browser notification and the video windows run the video client; both live
  // in desktop-video.js, fetched only once needed (the first load stays small).
  let videoGlue = null;
  function maybeVideo(message) {
    const request = typeof message === 'string' && message.includes('data-video-request');
    if (!request && !document.querySelector('.video-windows:not([data-video-started])')) return;
    videoGlue = videoGlue || import('/public/desktop-video.js');
    videoGlue
      .then((m) => {
        if (request) m.notifyVideoRequests(message);
        m.startVideoWindows();
      }, (err) => {
        videoGlue = null;
        throw err;
      })
      .catch((err) => console.error('video glue failed', err));
  }

  // SMS chats: live segment count while typing and reply delivery status, from /client/sms.js, fetched
  // only once an SMS chat is on the page.
  let smsGlue = null;
  function maybeSms() {
    if (!document.querySelector('textarea[data-sms-count], .sms-status')) return;
    smsGlue = smsGlue || import('/client/sms.js');
    smsGlue.then((m) => m.start(), (err) => {
      smsGlue = null;
      console.error('the SMS glue did not load', err);
    });
  }

  // Canned responses (the composer's select, placeholders already filled by the server) go into the
  // Message box at the cursor, to be edited before Send: choosing one sends nothing.
  document.addEventListener('change', (e) => {
    const select = e.target;
    if (!(select instanceof HTMLSelectElement) || !select.dataset.cannedFor || select.value === '') return;
    const box = document.getElementById(select.dataset.cannedFor);
    if (box) {
      const at = box.selectionStart ?? box.value.length;
      box.value = box.value.slice(0, at) + select.value + box.value.slice(box.selectionEnd ?? at);
      box.focus();
      box.setSelectionRange(at + select.value.length, at + select.value.length);
      box.dispatchEvent(new Event('input', { bubbles: true }));
    }
    select.value = '';
  });

  // Timers with data-elapsed (the floor's, the call's) count on from what the server's clock said when it
  // rendered them, with this page's monotonic clock from when the page got them: a wallboard TV or an
  // agent's PC whose clock is minutes off shows the same times as the server. The others count from data-since.
  const timerSeenAt = new WeakMap();
  function stampTimers() {
    for (const el of document.querySelectorAll('.timer[data-elapsed]')) if (!timerSeenAt.has(el)) timerSeenAt.set(el, performance.now());
  }
  function timerMs(el) {
    if (el.dataset.elapsed === undefined) return Date.now() - Number(el.dataset.since);
    return Number(el.dataset.elapsed) + performance.now() - timerSeenAt.get(el);
  }
  stampTimers();
  setInterval(() => {
    stampTimers();
    for (const el of document.querySelectorAll('.timer[data-since]')) {
      const s = Math.max(0, Math.floor(timerMs(el) / 1000));
      el.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }
  }, 1000);

  function setConnection(text, state) {
    const el = document.getElementById('connection');
    if (el) {
      el.textContent = text;
      el.dataset.state = state;
    }
  }

  document.addEventListener('htmx:wsOpen', (e) => {
    socket = e.detail.socketWrapper;
    setConnection('Connected', 'open');
    syncPanels();
  });
  // 4401: the server ended this session (the agent was disabled, or its password changed: in this
  // browser's /account, the browser holds a new session, and the desktop opens again under it; else it
  // sends to the login). 4403: a supervisor's page whose role was taken away: back to the desktop.
  document.addEventListener('htmx:wsClose', (e) => {
    const code = e.detail && e.detail.event && e.detail.event.code;
    if (code === 4401 || code === 4403) {
      setConnection(code === 4401 ? 'Logged out' : 'Not allowed', 'closed');
      location.assign('/desktop');
      return;
    }
    setConnection('Reconnecting…', 'closed');
  });
  document.addEventListener('htmx:wsAfterMessage', (e) => {
    stampTimers();
    oneAcceptPerChat();
    maybeVideo(e.detail.message);
    maybeSms();
    tidyLists();
    initMaps();
    maybeStartSoftphone();
  });
  document.addEventListener('htmx:afterSwap', (e) => {
    stampTimers();
    oneAcceptPerChat();
    maybeVideo();
    maybeSms();
    tidyLists();
    initMaps();
    const xhr = e.detail.xhr;
    syncPanels(Boolean(xhr) && xhr.status < 300 && !/role="alert"/.test(xhr.responseText));
    maybeStartSoftphone();
  });
  // The composer answers with a fresh form; keep the focus in it for the next message.
  document.addEventListener('htmx:afterSettle', (e) => {
    const box = e.target && e.target.querySelector ? e.target.querySelector('.composer textarea') : null;
    if (box && e.target.classList.contains('composer')) box.focus();
  });
  // A refused or failed action says why (htmx swaps nothing on an error answer by default). The text
  // is the server's message, set as text, never as HTML; the next answered request clears it.
  function showAlert(text) {
    const el = document.getElementById('desk-alert');
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
  }
  function refusalOf(xhr) {
    try {
      const body = JSON.parse(xhr.responseText);
      if (body && body.error && typeof body.error.message === 'string') return body.error.message;
    } catch {
      // not JSON: the status line
    }
    return `Refused by the server (HTTP ${xhr.status}).`;
  }
  document.addEventListener('htmx:responseError', (e) => showAlert(refusalOf(e.detail.xhr)));
  // The reason in a refusal answered to be swapped in place (HX-Reswap: Hold, Mute, Allow...).
  function reasonIn(xhr) {
    const reason = new DOMParser().parseFromString(xhr.responseText, 'text/html').querySelector('[role="alert"]');
    return reason ? reason.textContent.trim() : `Refused by the server (HTTP ${xhr.status}).`;
  }
  // htmx tells of an answer on the control that sent it: one a push has removed meanwhile (Transfer's
  // form once the chat ended) tells nobody, so its refusal is shown from the request itself. Not the
  // composer's: desktop-drafts.js says what became of a send.
  // Whether the control is still there is read as the answer arrives: htmx's own load handler runs
  // first, and an answer in place replaces the area around its control.
  document.addEventListener('htmx:beforeRequest', (e) => {
    const { elt, xhr } = e.detail;
    let removedMeanwhile = false;
    // An answer clears the alert before htmx handles it, so what htmx or desktop-drafts.js then says of
    // it (a refused send's text put back) stays. One to be swapped in place too: its reason is in it.
    xhr.addEventListener('readystatechange', () => {
      if (xhr.readyState !== 4) return;
      removedMeanwhile = !elt.isConnected;
      if ((xhr.status >= 200 && xhr.status < 400) || xhr.getResponseHeader('HX-Reswap')) hideAlert();
    });
    xhr.addEventListener('load', () => {
      if (xhr.status < 400 || !removedMeanwhile || elt.closest('.composer')) return;
      showAlert(xhr.getResponseHeader('HX-Reswap') ? reasonIn(xhr) : refusalOf(xhr));
    });
    // Never answered (htmx's sendError likewise reaches nobody for a removed control).
    xhr.addEventListener('error', () => {
      if (elt.isConnected || !elt.closest('.composer')) showAlert(UNREACHABLE);
    });
  });
  const UNREACHABLE = 'The server could not be reached: what you asked may not have been done. Check, then try again.';
  // Heard on the request, since htmx's afterRequest for a control a push removed meanwhile (the
  // composer redrawn as the socket came back) reaches nobody.
  function hideAlert() {
    const el = document.getElementById('desk-alert');
    if (el) el.hidden = true;
  }
  // A refusal that names how to swap it (HX-Reswap) carries the form again with its reason and what
  // was typed: it is shown in place, not as an error. A 503 too (telephony away, a supervisor's mode
  // that could not be switched): its reason is in it.
  document.addEventListener('htmx:beforeSwap', (e) => {
    const xhr = e.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader('HX-Reswap')) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  // Drafts kept across redraws: desktop-drafts.js, which says through this when a send came back.
  document.addEventListener('desk:alert', (e) => showAlert(e.detail));

  // The agent's choice of phone is kept in this browser. Switching reloads the page, so a running
  // softphone is stopped cleanly and the new choice starts from a fresh page (chats catch up).
  function initPhoneMode() {
    const select = document.getElementById('phone-mode');
    if (!select) return;
    select.value = phoneMode();
    select.addEventListener('change', () => {
      localStorage.setItem('phone-mode', select.value);
      location.reload();
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    initPhoneMode();
    oneAcceptPerChat();
    maybeVideo();
    maybeSms();
    tidyLists();
    initMaps();
    maybeStartSoftphone();
  });
})();
