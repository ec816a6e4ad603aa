// Agent desktop: what the agent typed or chose is not lost when htmx redraws it. Pushed redraws and
// the answers of other actions keep the fields' values; the composer's own answer keeps what was typed
// after Send; a send whose answer had nowhere to land puts its text back if it failed.
(function () {
  'use strict';
  // Pushed redraws (the composer, the header with its transfer form, the Transfer to list) must not
  // wipe what the agent is typing or choosing: the values, and the focus, move into the new fields (a
  // choice of agent only while that agent is still listed). The same holds for an answer that redraws
  // the workspace (Accept: its push, which enables the Message box, often comes first) and for the
  // composer's own answer, which keeps what was typed after Send was pressed.
  const KEPT_FIELDS = 'textarea[id^="message-"], input[id^="transfer-note-"], select[id^="transfer-to-"], select[id^="disposition-"], textarea[id^="notes-"]';
  // What each composer sent, by form id, while its answer is on the way: a box redrawn meanwhile keeps
  // only what was typed after Send.
  const sending = new Map();
  // Composers whose answer was swapped in where they were (nothing to repair after it).
  const answered = new WeakSet();
  function keepFields(target) {
    if (!target || !target.querySelectorAll) return [];
    const fields = target.matches(KEPT_FIELDS) ? [target] : [...target.querySelectorAll(KEPT_FIELDS)];
    return fields.map((el) => {
      const typed = el instanceof HTMLSelectElement ? null : { start: el.selectionStart, end: el.selectionEnd };
      const sent = el.form ? sending.get(el.form.id) : undefined;
      const clientId = el.form && el.form.querySelector('input[name="client_id"]');
      return { id: el.id, value: el.value, focused: el === document.activeElement, typed, sent, clientId: clientId ? clientId.value : undefined };
    });
  }
  let keptFields = [];
  let keptForAnswer = [];
  document.addEventListener('htmx:oobBeforeSwap', (e) => {
    // A redraw identical to what is shown replaces nothing: a control being clicked stays the same one.
    const fresh = e.detail.fragment;
    if (fresh instanceof DocumentFragment && fresh.childElementCount === 1 && sameView(fresh.firstElementChild, e.detail.target)) {
      e.detail.shouldSwap = false;
      return;
    }
    keptFields.push(...keepFields(e.detail.target));
  });
  // Equal but for the client id a composer is drawn with (new in every drawing; either one will do), and
  // for the list's Accept the page hides while the chat's own panel shows one (desktop.js).
  function sameView(a, b) {
    const [x, y] = [a.cloneNode(true), b.cloneNode(true)];
    for (const el of [x, y]) {
      for (const id of el.querySelectorAll('input[name="client_id"]')) id.removeAttribute('value');
      for (const accept of el.querySelectorAll('button.accept[data-interaction]')) accept.removeAttribute('hidden');
    }
    return x.isEqualNode(y);
  }
  document.addEventListener('htmx:oobAfterSwap', () => {
    putBack(keptFields);
    keptFields = [];
  });
  document.addEventListener('htmx:beforeRequest', (e) => {
    const form = e.detail.elt;
    const box = form && form.classList && form.classList.contains('composer') ? form.querySelector('textarea') : null;
    if (!box) return;
    const sent = box.value;
    sending.set(form.id, sent);
    // Heard on the form itself: when it was redrawn while this send was on its way, its answer is
    // swapped nowhere. A send that failed or was refused then puts its text back in front, with its
    // client id (stored after all, it is answered with the first), and says so.
    form.addEventListener('htmx:afterRequest', (done) => {
      if (sending.get(form.id) === sent) sending.delete(form.id);
      const live = document.getElementById(box.id);
      const refused = !done.detail.successful || /role="alert"/.test(done.detail.xhr ? done.detail.xhr.responseText : '');
      if (answered.has(form) || !live || !refused) return;
      // A send from the redrawn form still on its way: its text is not the agent's to send again.
      const other = sending.get(form.id);
      const rest = other !== undefined && live.value.startsWith(other) ? live.value.slice(other.length).trimStart() : live.value;
      if (rest.startsWith(sent)) return;
      live.value = rest ? `${sent} ${rest}` : sent;
      const [id, liveId] = [form, live.form].map((f) => f && f.querySelector('input[name="client_id"]'));
      if (other === undefined && id && liveId) liveId.value = id.value;
      live.dispatchEvent(new Event('input', { bubbles: true }));
      document.dispatchEvent(new CustomEvent('desk:alert', { detail: 'Not sent: your text is back in the Message box. Try again.' }));
    }, { once: true });
  });
  document.addEventListener('htmx:beforeSwap', (e) => {
    const target = e.detail.target;
    if (!e.detail.shouldSwap || !target) keptForAnswer = [];
    else if (target.classList.contains('composer')) keptForAnswer = typedSinceSend(target);
    else keptForAnswer = keepFields(target);
  });
  document.addEventListener('htmx:afterSwap', () => {
    putBack(keptForAnswer);
    keptForAnswer = [];
  });
  function typedSinceSend(form) {
    answered.add(form);
    const kept = keepFields(form).filter((k) => k.sent !== undefined && k.value !== k.sent);
    sending.delete(form.id);
    return kept;
  }
  // Text not sent yet outlives its panel: switching to another chat and back (or reloading) finds it
  // in its box again, with its client id. Kept per tab (sessionStorage) and per agent (another agent
  // logging in on this tab gets none), until an answer that did what was asked, or Log out.
  const DRAFTS = 'textarea[id^="message-"], input[id^="transfer-note-"], textarea[id^="notes-"]';
  const agentEl = document.querySelector('.desktop[data-agent]');
  const draftKey = (id) => `desk-draft:${agentEl ? agentEl.dataset.agent : ''}:${id}`;
  function saveDraft(el) {
    if (!agentEl) return;
    // While a send from this box is on its way, only what was typed after it is a draft (with a new id).
    const sent = el.form ? sending.get(el.form.id) : undefined;
    const value = sent !== undefined && el.value.startsWith(sent) ? el.value.slice(sent.length).trimStart() : el.value;
    if (!value) return sessionStorage.removeItem(draftKey(el.id));
    const clientId = sent === undefined && el.form && el.form.querySelector('input[name="client_id"]');
    sessionStorage.setItem(draftKey(el.id), JSON.stringify({ value, clientId: clientId ? clientId.value : undefined }));
  }
  document.addEventListener('input', (e) => {
    if (e.target instanceof Element && e.target.matches(DRAFTS)) saveDraft(e.target);
  });
  // The boxes of a form whose request is on its way: their answer, not the stored draft, says what
  // they hold next (htmx swaps and may settle it before the request's loadend).
  const asked = new Set();
  // Settled on the request itself, after htmx's own answer handling: a form the agent left meanwhile
  // (another chat opened) hears nothing of its answer through the page. The form is the asking
  // control's (a Consult button's too).
  document.addEventListener('htmx:beforeRequest', (e) => {
    const source = e.detail.elt;
    const form = source && source.closest ? source.closest('form') : null;
    const xhr = e.detail.xhr;
    if (!form || !xhr) return;
    const ids = [...form.querySelectorAll(DRAFTS)].map((el) => el.id);
    for (const id of ids) asked.add(id);
    // Done as asked: the drafts are what the boxes hold now (what was typed after Send, or nothing).
    // A failure or a refusal keeps them: the text is still the agent's.
    xhr.addEventListener('loadend', () => {
      const done = xhr.status >= 200 && xhr.status < 300 && !/role="alert"/.test(xhr.responseText || '');
      for (const id of ids) {
        asked.delete(id);
        if (!done) continue;
        const live = document.getElementById(id);
        if (live) saveDraft(live);
        else sessionStorage.removeItem(draftKey(id));
      }
    });
  });
  document.addEventListener('submit', (e) => {
    if (e.target instanceof HTMLFormElement && e.target.action.endsWith('/logout')) sessionStorage.clear();
  });
  // After htmx's own swap and the fields kept across it (htmx:load comes as the new content settles).
  document.addEventListener('htmx:load', (e) => {
    const content = e.detail.elt;
    const fields = content.matches && content.matches(DRAFTS) ? [content] : [...(content.querySelectorAll ? content.querySelectorAll(DRAFTS) : [])];
    for (const el of agentEl ? fields : []) {
      const saved = JSON.parse(sessionStorage.getItem(draftKey(el.id)) || 'null');
      if (!saved || el.value !== '' || el.disabled || asked.has(el.id)) continue;
      el.value = saved.value;
      const clientId = el.form && el.form.querySelector('input[name="client_id"]');
      if (clientId && saved.clientId) clientId.value = saved.clientId;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
  });
  function putBack(kept) {
    for (const k of kept) {
      const el = document.getElementById(k.id);
      if (!el) continue;
      let { value, typed } = k;
      // A send on its way or answered (the new box is empty): only what was typed after it stays (one
      // that then fails puts its text back, see htmx:beforeRequest).
      if (k.sent !== undefined && el.value === '' && value.startsWith(k.sent)) {
        value = value.slice(k.sent.length).trimStart();
        typed = { start: value.length, end: value.length };
      }
      // Text not sent yet keeps its client id: it may be one a send that failed was stored under after
      // all (its text put back), and a new id would store it twice. None is on its way from this box
      // (that send owns the id; what was typed after it gets the new one).
      const newId = el.form && el.form.querySelector('input[name="client_id"]');
      if (newId && k.clientId && value !== '' && k.sent === undefined) newId.value = k.clientId;
      const listed = !(el instanceof HTMLSelectElement) || [...el.options].some((o) => o.value === value);
      if (el.value !== value && listed) {
        el.value = value;
        // The SMS segment count follows the text it counts.
        if (typed) el.dispatchEvent(new Event('input', { bubbles: true }));
      }
      if (!k.focused || el.disabled) continue;
      el.focus();
      if (typed) el.setSelectionRange(typed.start, typed.end);
    }
  }
})();
