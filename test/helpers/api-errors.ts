// The mobile API's error answers: `{"error":{"code","message"}}` with the status that goes with it.
import type { Test } from 'tap';

export interface ApiError {
  error: { code: string; message: string };
}

export async function errorOf(res: Response): Promise<ApiError['error'] | undefined> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Partial<ApiError>;
    const e = body.error;
    return e && typeof e.code === 'string' && typeof e.message === 'string' && e.message.length > 0 ? e : undefined;
  } catch {
    return undefined;
  }
}

/** Asserts the status and the `{"error":{"code","message"}}` body; returns the code. */
export async function expectError(t: Test, res: Response, status: number, what: string, code?: string): Promise<string | undefined> {
  t.equal(res.status, status, `${what}: status ${status}`);
  const error = await errorOf(res);
  t.ok(error, `${what}: body is {"error":{"code","message"}}`);
  if (code !== undefined) t.equal(error?.code, code, `${what}: error code ${code}`);
  return error?.code;
}
