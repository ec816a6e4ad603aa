import type pg from 'pg';

export type Query = (text: string, values?: readonly unknown[]) => Promise<pg.QueryResult>;

// Runs `body` in one transaction on a connection of its own: COMMIT if it returns, ROLLBACK if it
// throws (and the error goes on to the caller).
export async function inTransaction<T>(pool: pg.Pool, body: (query: Query) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A connection that breaks while checked out fails its query and also emits 'error'; the pool only
  // listens while it is idle, and an 'error' nobody hears would end the process.
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await body((text, values) => client.query(text, values as unknown[] | undefined));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken ??= rollbackErr));
    throw err;
  } finally {
    client.removeListener('error', onError);
    // A broken connection is closed, not handed to the next caller.
    client.release(broken);
  }
}
