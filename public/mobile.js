// Customer web client for /m/{service}. Plain browser JS, no build step, no dependencies.
// Talks only to the mobile API (/api/v1). All user and agent text goes in through textContent.
(() => {
  'use strict';

  const API = '/api/v1';
  const E164 = /^\+[1-9][0-9]{6,14}$/;
  const MAX_TEXT = 8000;
  const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  const SEND_RETRIES = 4; // retries after the first attempt, same client_id each time
  const SEND_BACKOFF_MS = 1000;
  const RECONNECT_MIN_MS = 1000;
  const RECONNECT_MAX_MS = 10000;

  const serviceId = document.body.dataset.service || '';
  const storageKey = `chat:${serviceId}`;

  const byId = (id) => document.getElementById(id);
  const ui = {
    conn: byId('conn'),
    notice: byId('notice'),
    start: byId('start'),
    startForm: byId('start-form'),
    name: byId('name'),
    phone: byId('phone'),
    phoneHint: byId('phone-hint'),
    startButton: byId('start-button'),
    chat: byId('chat'),
    chatState: byId('chat-state'),
    log: byId('log'),
    location: byId('location'),
    ended: byId('ended'),
    newChat: byId('new-chat'),
    sendForm: byId('send-form'),
    message: byId('message'),
    send: byId('send'),
    photo: byId('photo'),
    shareLocation: byId('share-location'),
    videoRequest: byId('video-request'),
    videoClose: byId('video-close'),
    endChat: byId('end-chat'),
  };
  const chatControls = [ui.message, ui.send, ui.photo, ui.shareLocation, ui.videoRequest, ui.videoClose, ui.endChat];

  // The one chat this page shows. Every async continuation checks `session === s` before touching the
  // page, so answers that arrive after the customer moved on are dropped.
  let session = null;
  let lastCustomer = { name: '', phone: '' };
  const busy = new Set();

  // ---------------------------------------------------------------- small helpers

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const enc = encodeURIComponent;

  function notify(text, isError = false) {
    ui.notice.textContent = text || '';
    ui.notice.classList.toggle('notice-error', Boolean(text) && isError);
  }

  function setConn(text) {
    ui.conn.textContent = text || '';
    ui.conn.hidden = !text;
    ui.conn.classList.toggle('conn-ok', text === 'Connected');
  }

  function setBusy(control, on) {
    if (on) busy.add(control);
    else busy.delete(control);
    refreshControls();
  }

  function refreshControls() {
    const usable = Boolean(session) && !session.ended;
    for (const control of chatControls) control.disabled = !usable || busy.has(control);
    ui.startButton.disabled = busy.has(ui.startButton);
  }

  function newClientId() {
    if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; plain-http testing on a LAN still gets a v4 UUID.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function formatTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function nearBottom() {
    const doc = document.documentElement;
    return window.innerHeight + window.scrollY >= doc.scrollHeight - 120;
  }

  function scrollToBottom() {
    window.scrollTo({ top: document.documentElement.scrollHeight });
  }

  // ---------------------------------------------------------------- storage

  function loadStored() {
    try {
      const value = JSON.parse(localStorage.getItem(storageKey) || 'null');
      if (value && typeof value.id === 'string' && typeof value.token === 'string' && value.service === serviceId) {
        return { id: value.id, token: value.token, service: value.service };
      }
    } catch {
      // storage unavailable or corrupt: behave as if nothing was stored
    }
    return null;
  }

  function saveStored(stored) {
    try {
      localStorage.setItem(storageKey, JSON.stringify(stored));
    } catch {
      // private mode or quota: the chat still works, it just will not survive a reload
    }
  }

  function forgetStored() {
    try {
      localStorage.removeItem(storageKey);
    } catch {
      // nothing to forget
    }
  }

  // ---------------------------------------------------------------- API

  async function api(method, path, { body, form, token } = {}) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    let payload;
    if (form) {
      payload = form; // the browser sets the multipart boundary
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res;
    let text;
    try {
      res = await fetch(API + path, { method, headers, body: payload, cache: 'no-store', credentials: 'same-origin' });
      text = await res.text();
    } catch {
      throw new ApiError(0, 'network', 'Network problem: check your connection and try again.');
    }
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const error = data && typeof data === 'object' ? data.error : null;
      const message = error && typeof error.message === 'string' && error.message ? error.message : `Request failed (${res.status}).`;
      const code = error && typeof error.code === 'string' ? error.code : `http_${res.status}`;
      throw new ApiError(res.status, code, message);
    }
    return data;
  }

  const isTransient = (err) => err.status === 0 || err.status === 408 || err.status === 429 || err.status >= 500;
  const isGone = (err) => err.status === 401 || err.status === 403 || err.status === 404;

  const chatPath = (s, tail = '') => `/chats/${enc(s.id)}${tail}`;

  // ---------------------------------------------------------------- views

  function showStart(message, isError = false) {
    ui.chat.hidden = true;
    ui.start.hidden = false;
    setConn('');
    if (!ui.name.value) ui.name.value = lastCustomer.name;
    if (!ui.phone.value) ui.phone.value = lastCustomer.phone;
    notify(message || '', isError);
    refreshControls();
  }

  function showChat() {
    ui.start.hidden = true;
    ui.chat.hidden = false;
    ui.ended.hidden = true;
    refreshControls();
  }

  function setChatState(text) {
    if (ui.chatState.textContent !== text) ui.chatState.textContent = text;
  }

  function showAgent(s, name) {
    if (name) s.agentName = name;
    setChatState(`${s.agentName || 'An agent'} joined`);
  }

  // ---------------------------------------------------------------- session lifecycle

  function newSession(stored) {
    return {
      id: stored.id,
      token: stored.token,
      lastSeq: 0,
      seen: new Set(),
      pending: new Map(), // client_id -> element
      agentName: '',
      ended: false,
      ws: null,
      reconnectDelay: RECONNECT_MIN_MS,
      reconnectTimer: 0,
      blobUrls: [],
    };
  }

  function closeSocket(s) {
    clearTimeout(s.reconnectTimer);
    const ws = s.ws;
    s.ws = null;
    if (ws) ws.close(1000);
  }

  function teardown(s) {
    if (!s) return;
    closeSocket(s);
    for (const url of s.blobUrls) URL.revokeObjectURL(url);
    s.blobUrls = [];
    if (session === s) session = null;
  }

  // The chat is gone (bad token, unknown chat): forget it and offer a new one.
  function lose(s, message) {
    if (session !== s) return;
    forgetStored();
    teardown(s);
    ui.log.replaceChildren();
    ui.location.textContent = '';
    showStart(message || 'This chat is no longer available. You can start a new one.', true);
  }

  function markEnded(s) {
    if (session !== s || s.ended) return;
    s.ended = true;
    forgetStored();
    closeSocket(s);
    setConn('');
    setChatState('Chat ended');
    ui.ended.hidden = false;
    refreshControls();
  }

  function updateChat(s, chat) {
    if (session !== s || !chat || typeof chat !== 'object') return;
    if (chat.customer) lastCustomer = { name: chat.customer.name || '', phone: chat.customer.phone || '' };
    if (chat.agent && chat.agent.name) s.agentName = chat.agent.name;
    if (chat.state === 'ended') markEnded(s);
    else if (chat.state === 'active') showAgent(s);
    else if (!s.ended) setChatState('Waiting for an agent…');
  }

  // Ask the server where the chat stands, after a refusal or a failed connection.
  async function refreshChat(s) {
    try {
      const chat = await api('GET', chatPath(s), { token: s.token });
      updateChat(s, chat);
    } catch (err) {
      if (session !== s) return;
      if (err.status === 409) markEnded(s);
      else if (isGone(err)) lose(s);
    }
  }

  // Errors of customer actions: show the server's message; if the chat itself may be the cause,
  // check its state (a 409 on an ended chat ends the page, a lost chat goes back to the start form).
  function actionFailed(s, err) {
    if (session !== s) return;
    notify(err.message, true);
    if (err.status === 409 || isGone(err)) void refreshChat(s);
  }

  async function openChat(stored, resume) {
    teardown(session);
    const s = newSession(stored);
    session = s;
    ui.log.replaceChildren();
    ui.location.textContent = '';
    if (resume) {
      ui.start.hidden = true;
      notify('Resuming your chat…');
      try {
        const chat = await api('GET', chatPath(s), { token: s.token });
        if (session !== s) return;
        if (chat && chat.customer) lastCustomer = { name: chat.customer.name || '', phone: chat.customer.phone || '' };
        if (!chat || chat.state === 'ended') {
          lose(s, 'Your previous chat has ended. You can start a new one.');
          return;
        }
        notify('');
        showChat();
        updateChat(s, chat);
      } catch (err) {
        if (session !== s) return;
        if (isGone(err) || err.status === 409) {
          lose(s, 'Your previous chat is no longer available. You can start a new one.');
          return;
        }
        // Network trouble or a server hiccup: show the chat and let the connection retry.
        showChat();
        setChatState('Waiting for an agent…');
        notify(err.message, true);
      }
    } else {
      showChat();
      setChatState('Waiting for an agent…');
      ui.message.focus();
    }
    await loadHistory(s);
    if (session !== s || s.ended) return;
    connect(s);
  }

  async function loadHistory(s) {
    try {
      const data = await api('GET', `${chatPath(s, '/messages')}?after=${s.lastSeq}`, { token: s.token });
      if (session !== s) return;
      const messages = data && Array.isArray(data.messages) ? data.messages : [];
      messages.sort((a, b) => a.seq - b.seq);
      for (const msg of messages) addMessage(s, msg);
      scrollToBottom();
    } catch (err) {
      if (session !== s) return;
      if (isGone(err)) lose(s);
      else if (err.status === 409) markEnded(s);
      // otherwise the event stream replays from lastSeq once it connects
    }
  }

  // ---------------------------------------------------------------- live events

  function connect(s) {
    if (session !== s || s.ended) return;
    clearTimeout(s.reconnectTimer);
    if (s.ws) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}${API}${chatPath(s, '/events')}?token=${enc(s.token)}&after=${s.lastSeq}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      setConn('Reconnecting…');
      scheduleReconnect(s);
      return;
    }
    s.ws = ws;
    let gotFrame = false;
    if (ui.conn.hidden) setConn('Connecting…');

    ws.addEventListener('open', () => {
      if (s.ws === ws) setConn('Connected');
    });
    ws.addEventListener('message', (event) => {
      if (session !== s || s.ws !== ws) return;
      if (!gotFrame) {
        gotFrame = true;
        s.reconnectDelay = RECONNECT_MIN_MS; // the server accepted us: next outage starts at 1s again
        setConn('Connected');
      }
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      handleFrame(s, frame);
    });
    ws.addEventListener('close', () => {
      if (session !== s || s.ws !== ws) return;
      s.ws = null;
      if (s.ended) return;
      setConn('Reconnecting…');
      // Refused before any frame: maybe the chat ended or the token no longer works.
      if (!gotFrame) void refreshChat(s);
      scheduleReconnect(s);
    });
    // 'error' is always followed by 'close', which does the work.
  }

  function scheduleReconnect(s) {
    clearTimeout(s.reconnectTimer);
    const delay = s.reconnectDelay;
    s.reconnectDelay = Math.min(delay * 2, RECONNECT_MAX_MS);
    s.reconnectTimer = setTimeout(() => connect(s), delay);
  }

  function reconnectNow() {
    const s = session;
    if (!s || s.ended) return;
    if (s.ws && s.ws.readyState <= WebSocket.OPEN) return;
    if (s.ws) s.ws = null;
    s.reconnectDelay = RECONNECT_MIN_MS;
    connect(s);
  }

  window.addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reconnectNow();
  });

  function handleFrame(s, frame) {
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'chat') {
      updateChat(s, frame.chat);
    } else if (frame.type === 'timeline') {
      handleTimeline(s, frame);
    }
  }

  function noteSeq(s, seq) {
    if (!Number.isFinite(seq)) return;
    s.seen.add(seq);
    if (seq > s.lastSeq) s.lastSeq = seq;
  }

  function handleTimeline(s, frame) {
    const seq = Number(frame.seq);
    if ((frame.kind === 'message' || frame.kind === 'attachment') && frame.message) {
      addMessage(s, frame.message);
      noteSeq(s, seq);
      return;
    }
    if (s.seen.has(seq)) return;
    noteSeq(s, seq);
    if (frame.kind === 'accepted') showAgent(s, frame.agent && frame.agent.name);
    else if (frame.kind === 'ended') markEnded(s);
  }

  // ---------------------------------------------------------------- messages

  function authorLabel(s, msg) {
    return msg.author === 'customer' ? 'You' : s.agentName || 'Agent';
  }

  function buildBubble(author) {
    const item = el('div', `msg ${author === 'customer' ? 'msg-customer' : 'msg-agent'}`);
    const meta = el('p', 'msg-meta');
    const who = el('span', 'msg-author');
    const status = el('span', 'msg-status');
    meta.append(who, status);
    item.append(meta);
    return item;
  }

  function fillBubble(s, item, msg) {
    item.querySelector('.msg-author').textContent = authorLabel(s, msg);
    const status = item.querySelector('.msg-status');
    status.replaceChildren();
    const time = el('time', '', formatTime(msg.created_at));
    if (msg.created_at) time.dateTime = msg.created_at;
    status.append(time);
    item.classList.remove('msg-pending', 'msg-failed');
    item.dataset.seq = String(msg.seq);
    if (typeof msg.text === 'string' && msg.text && !item.querySelector('.msg-text')) {
      item.append(el('p', 'msg-text', msg.text));
    }
    if (msg.attachment && !item.querySelector('.msg-photo')) item.append(attachmentView(s, msg.attachment));
  }

  // Keep the log in seq order; unacknowledged messages stay at the end.
  function placeBySeq(item, seq) {
    item.remove();
    let before = null;
    for (let node = ui.log.lastElementChild; node; node = node.previousElementSibling) {
      if (node.dataset.seq === undefined) {
        before = node;
        continue;
      }
      if (Number(node.dataset.seq) > seq) before = node;
      else break;
    }
    ui.log.insertBefore(item, before);
  }

  function addMessage(s, msg) {
    if (session !== s || !msg || typeof msg !== 'object' || !Number.isFinite(msg.seq)) return;
    const pendingItem = msg.client_id ? s.pending.get(msg.client_id) : undefined;
    if (pendingItem) s.pending.delete(msg.client_id);
    if (s.seen.has(msg.seq)) {
      if (pendingItem) pendingItem.remove();
      return;
    }
    const follow = nearBottom() || msg.author === 'customer';
    noteSeq(s, msg.seq);
    const item = pendingItem || buildBubble(msg.author);
    fillBubble(s, item, msg);
    placeBySeq(item, msg.seq);
    if (follow) scrollToBottom();
  }

  function attachmentView(s, att) {
    const box = el('a', 'msg-photo');
    const label = att.file_name || 'image';
    const status = el('span', 'msg-photo-status', `Loading ${label}…`);
    box.append(status);
    if (!att.url) {
      status.textContent = `${label} (not available)`;
      return box;
    }
    void loadAttachment(s, att, box, status, label);
    return box;
  }

  async function loadAttachment(s, att, box, status, label) {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        // The chat token goes only to this origin.
        const sameOrigin = new URL(att.url, location.href).origin === location.origin;
        const headers = sameOrigin ? { Authorization: `Bearer ${s.token}` } : {};
        const res = await fetch(att.url, { headers, cache: 'no-store' });
        if (!res.ok) throw new Error(`status ${res.status}`);
        const blob = await res.blob();
        if (session !== s) return;
        const url = URL.createObjectURL(blob);
        s.blobUrls.push(url);
        box.href = url;
        box.target = '_blank';
        box.rel = 'noopener';
        const type = att.content_type || blob.type || '';
        if (type.startsWith('image/')) {
          const img = el('img', 'msg-thumb');
          img.alt = label;
          img.decoding = 'async';
          img.src = url;
          status.replaceWith(img);
        } else {
          box.download = label;
          status.textContent = `Download ${label}`;
        }
        return;
      } catch {
        if (session !== s) return;
        await sleep(1000 * (attempt + 1));
      }
    }
    if (session === s) status.textContent = `${label} could not be loaded.`;
  }

  // A customer message not yet acknowledged: shown at the end of the log until the server gives it a seq.
  function addPending(className) {
    const item = buildBubble('customer');
    item.classList.add('msg-pending');
    if (className) item.classList.add(className);
    item.querySelector('.msg-author').textContent = 'You';
    item.querySelector('.msg-status').textContent = 'Sending…';
    ui.log.append(item);
    scrollToBottom();
    return item;
  }

  function markFailed(s, clientId, text, item) {
    item.classList.remove('msg-pending');
    item.classList.add('msg-failed');
    const status = item.querySelector('.msg-status');
    status.textContent = 'Not sent ';
    const retry = el('button', 'link-button', 'Retry');
    retry.type = 'button';
    retry.addEventListener('click', () => {
      if (session !== s || s.ended) return;
      item.classList.remove('msg-failed');
      item.classList.add('msg-pending');
      status.textContent = 'Sending…';
      void deliver(s, clientId, text, item);
    });
    status.append(retry);
  }

  // Send one message; on network trouble retry with the same client_id (the server dedupes on it).
  async function deliver(s, clientId, text, item) {
    let delay = SEND_BACKOFF_MS;
    for (let attempt = 0; ; attempt += 1) {
      if (session !== s || !s.pending.has(clientId)) return; // acknowledged meanwhile over the socket
      try {
        const msg = await api('POST', chatPath(s, '/messages'), { body: { text, client_id: clientId }, token: s.token });
        addMessage(s, msg);
        return;
      } catch (err) {
        if (session !== s) return;
        if (!s.pending.has(clientId)) return;
        if (isTransient(err) && attempt < SEND_RETRIES) {
          item.querySelector('.msg-status').textContent = 'Sending… (retrying)';
          await sleep(delay);
          delay = Math.min(delay * 2, 8000);
          continue;
        }
        markFailed(s, clientId, text, item);
        actionFailed(s, err);
        return;
      }
    }
  }

  // ---------------------------------------------------------------- start form

  function normalizePhone(value) {
    return value.replace(/[\s().-]/g, '');
  }

  function appFields() {
    const fields = {
      Channel: 'Mobile web',
      Language: navigator.language || 'unknown',
      Screen: `${window.screen.width}x${window.screen.height}`,
    };
    try {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone) fields['Time zone'] = zone;
    } catch {
      // no time zone information
    }
    return fields;
  }

  function setInvalid(input, invalid) {
    if (invalid) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  ui.phone.addEventListener('input', () => {
    setInvalid(ui.phone, false);
    ui.phoneHint.classList.remove('hint-error');
  });
  ui.name.addEventListener('input', () => setInvalid(ui.name, false));

  ui.startForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy.has(ui.startButton)) return;
    const name = ui.name.value.trim();
    const phone = normalizePhone(ui.phone.value);
    setInvalid(ui.name, !name);
    if (!name) {
      notify('Please enter your name.', true);
      ui.name.focus();
      return;
    }
    if (!E164.test(phone)) {
      setInvalid(ui.phone, true);
      ui.phoneHint.classList.add('hint-error');
      notify('Please enter your phone number in international format: + then country code and number, e.g. +14155550123.', true);
      ui.phone.focus();
      return;
    }
    ui.phone.value = phone;
    setBusy(ui.startButton, true);
    notify('Starting your chat…');
    try {
      const created = await api('POST', '/chats', {
        body: { service: serviceId, name, phone, context: { fields: appFields() } },
      });
      if (!created || typeof created.id !== 'string' || typeof created.token !== 'string') {
        throw new ApiError(500, 'bad_response', 'The chat could not be started. Please try again.');
      }
      const stored = { id: created.id, token: created.token, service: serviceId };
      saveStored(stored);
      lastCustomer = { name, phone };
      notify('');
      void openChat(stored, false);
    } catch (err) {
      if (err.code === 'validation' || err.status === 400 || err.status === 422) {
        if (/phone/i.test(err.message)) setInvalid(ui.phone, true);
      }
      notify(err.message, true);
    } finally {
      setBusy(ui.startButton, false);
    }
  });

  // ---------------------------------------------------------------- chat controls

  ui.sendForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const s = session;
    if (!s || s.ended) return;
    const text = ui.message.value.trim();
    if (!text) {
      notify('Type a message first.');
      ui.message.focus();
      return;
    }
    if (text.length > MAX_TEXT) {
      notify(`Messages can be at most ${MAX_TEXT} characters (this one has ${text.length}).`, true);
      return;
    }
    notify('');
    ui.message.value = '';
    ui.message.focus();
    const clientId = newClientId();
    const item = addPending();
    item.append(el('p', 'msg-text', text));
    s.pending.set(clientId, item);
    void deliver(s, clientId, text, item);
  });

  // Ctrl+Enter / Cmd+Enter sends; plain Enter makes a new line (messages may be long).
  ui.message.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      ui.sendForm.requestSubmit();
    }
  });

  ui.photo.addEventListener('change', async () => {
    const s = session;
    const file = ui.photo.files && ui.photo.files[0];
    ui.photo.value = '';
    if (!s || s.ended || !file) return;
    if (file.type && !file.type.startsWith('image/')) {
      notify('Please choose an image.', true);
      return;
    }
    if (file.size > MAX_PHOTO_BYTES) {
      notify('This photo is too large (at most 10 MB).', true);
      return;
    }
    notify('');
    const item = addPending('msg-upload');
    const preview = URL.createObjectURL(file);
    const img = el('img', 'msg-thumb');
    img.alt = file.name || 'image';
    img.src = preview;
    const box = el('span', 'msg-photo');
    box.append(img);
    item.append(box);
    scrollToBottom();
    setBusy(ui.photo, true);
    const form = new FormData();
    form.append('file', file, file.name || 'photo.jpg');
    try {
      const msg = await api('POST', chatPath(s, '/attachments'), { form, token: s.token });
      item.remove();
      addMessage(s, msg);
    } catch (err) {
      item.remove();
      actionFailed(s, err);
    } finally {
      URL.revokeObjectURL(preview);
      setBusy(ui.photo, false);
    }
  });

  function geoErrorMessage(err) {
    if (err && err.code === 1) {
      return window.isSecureContext
        ? 'Location permission was denied. Allow location access for this page to share it.'
        : 'Sharing your location needs a secure (https) page.';
    }
    if (err && err.code === 3) return 'Finding your location took too long. Please try again.';
    return 'Your location could not be determined.';
  }

  ui.shareLocation.addEventListener('click', () => {
    const s = session;
    if (!s || s.ended) return;
    if (!('geolocation' in navigator)) {
      notify('Location is not available in this browser.', true);
      return;
    }
    setBusy(ui.shareLocation, true);
    notify('Finding your location…');
    navigator.geolocation.getCurrentPosition(
      async (position) => {
        const { latitude, longitude, accuracy } = position.coords;
        const loc = { lat: latitude, lon: longitude };
        if (Number.isFinite(accuracy)) loc.accuracy_m = accuracy;
        try {
          await api('POST', chatPath(s, '/context'), { body: { location: loc }, token: s.token });
          if (session !== s) return;
          const precision = Number.isFinite(accuracy) ? ` (±${Math.round(accuracy)} m)` : '';
          ui.location.textContent = `Location sent: ${latitude}, ${longitude}${precision}`;
          notify('Location shared.');
        } catch (err) {
          actionFailed(s, err);
        } finally {
          setBusy(ui.shareLocation, false);
        }
      },
      (err) => {
        setBusy(ui.shareLocation, false);
        if (session === s) notify(geoErrorMessage(err), true);
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 },
    );
  });

  async function videoAction(button, method, doneText) {
    const s = session;
    if (!s || s.ended) return;
    setBusy(button, true);
    try {
      await api(method, chatPath(s, '/video'), { token: s.token });
      if (session === s) notify(doneText);
    } catch (err) {
      actionFailed(s, err);
    } finally {
      setBusy(button, false);
    }
  }

  ui.videoRequest.addEventListener('click', () => {
    void videoAction(ui.videoRequest, 'POST', 'Video requested. Waiting for the agent to allow it…');
  });
  ui.videoClose.addEventListener('click', () => {
    void videoAction(ui.videoClose, 'DELETE', 'Video closed.');
  });

  ui.endChat.addEventListener('click', async () => {
    const s = session;
    if (!s || s.ended) return;
    setBusy(ui.endChat, true);
    try {
      await api('POST', chatPath(s, '/end'), { token: s.token });
      notify('');
      markEnded(s);
    } catch (err) {
      actionFailed(s, err);
    } finally {
      setBusy(ui.endChat, false);
    }
  });

  ui.newChat.addEventListener('click', () => {
    teardown(session);
    ui.log.replaceChildren();
    ui.location.textContent = '';
    setChatState('');
    showStart('');
    ui.name.focus();
  });

  // ---------------------------------------------------------------- boot

  const stored = loadStored();
  if (stored) {
    void openChat(stored, true);
  } else {
    showStart('');
  }
})();
