// A send that may pass later (no answer, a gateway "not now") is tried again under the same id, after
// these waits (about 18 minutes in all), then it failed. The chat's later texts wait behind it: they
// leave in order. (Its own file: the desktop's status refresh reads it too, bundled for the browser.)
export const SEND_RETRY_MS = [5_000, 30_000, 120_000, 300_000, 600_000];
