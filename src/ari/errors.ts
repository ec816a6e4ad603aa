// ARI answers errors with an HTTP status; ari-client 2.2.0 keeps only the answer's body (as the Error's
// message) and drops the status. keepHttpStatus() (client.ts) puts it back as AriHttpError, so a refusal
// is told by its status, never by words in a message that Asterisk may phrase differently.
// ARI's body is JSON ({"message": ...}): the message keeps the words alone, as an agent may read them.
export class AriHttpError extends Error {
  readonly status: number;

  constructor(status: number, body: string) {
    super(wordsOf(body));
    this.name = 'AriHttpError';
    this.status = status;
  }
}

// The channel, bridge or object is not there (any more): for hangups and deletions, the work is done.
export function isNotFound(err: unknown): boolean {
  return err instanceof AriHttpError && err.status === 404;
}

export function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}

// Stopping a bridge's music on hold: ARI answers 409 when it plays none (a hold that never started,
// a reconcile that does not know), 404 when the bridge is gone. Either way, there is no music.
export function ignoreNoMusic(err: unknown): void {
  if (!(err instanceof AriHttpError && (err.status === 404 || err.status === 409))) throw err;
}

function wordsOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const words = (parsed as { message?: unknown } | null)?.message;
    return typeof words === 'string' && words !== '' ? words : body;
  } catch {
    return body;
  }
}
