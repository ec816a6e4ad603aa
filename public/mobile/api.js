// The mobile API over fetch: JSON in and out, the chat token as a Bearer, errors as ApiError {status, code}.
import { API } from './state.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const enc = encodeURIComponent;

// A request that hangs (a mobile network that went silent) fails in time, as a network problem: a
// send is then retried with its client id instead of showing "Sending…" for minutes. A photo may
// take long on a slow uplink: its caller gives it more (`timeoutMs`). Start chat has one too: pressed
// again, it is sent with the same Idempotency-Key and opens the chat the first one started.
function deadline(ms) {
  if (typeof AbortSignal.timeout === 'function') return AbortSignal.timeout(ms);
  // Safari before 16 has no AbortSignal.timeout: without a deadline a send could hang for good.
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  return controller.signal;
}

export async function api(method, path, { body, form, token, idempotencyKey, timeoutMs = 20_000 } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
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
    res = await fetch(API + path, { method, headers, body: payload, cache: 'no-store', credentials: 'same-origin', signal: deadline(timeoutMs) });
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

export const isTransient = (err) => err.status === 0 || err.status === 408 || err.status === 429 || err.status >= 500;
export const isGone = (err) => err.status === 401 || err.status === 403 || err.status === 404;

export const chatPath = (s, tail = '') => `/chats/${enc(s.id)}${tail}`;
