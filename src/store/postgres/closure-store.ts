import type { ClosedInteraction, ClosedQuery, ClosureStore, RatingRecord, WrapUpRecord } from '../../domain/closure-ports.ts';
import { alreadyRated } from '../../domain/rating.ts';
import { alreadyWrappedUp } from '../../domain/wrap-up.ts';
import { closedCursor, closureStatements, ratingValues, toClosed, toRating, toWrapUp, wrapUpValues } from '../closure-rows.ts';
import { pgPlaceholder } from '../sql.ts';
import { PgStore } from './pg-store.ts';

const SQL = closureStatements(pgPlaceholder);

export class PgClosureStore extends PgStore implements ClosureStore {
  async saveWrapUp(w: WrapUpRecord): Promise<void> {
    if ((await this.insertCounting(SQL.insertWrapUp, wrapUpValues(w))) === 0) throw alreadyWrappedUp();
  }

  getWrapUp(interactionId: string): Promise<WrapUpRecord | undefined> {
    return this.one(SQL.getWrapUp, toWrapUp, interactionId);
  }

  async saveRating(r: RatingRecord): Promise<void> {
    if ((await this.insertCounting(SQL.insertRating, ratingValues(r))) === 0) throw alreadyRated();
  }

  getRating(interactionId: string): Promise<RatingRecord | undefined> {
    return this.one(SQL.getRating, toRating, interactionId);
  }

  listClosed(q: ClosedQuery): Promise<ClosedInteraction[]> {
    return this.all(SQL.listClosed, toClosed, q.from, ...closedCursor(q), q.limit);
  }

  ratingsSince(since: number): Promise<RatingRecord[]> {
    return this.all(SQL.ratingsSince, toRating, since);
  }

  // The rows an insert stored: none when the row was already there (ON CONFLICT DO NOTHING).
  private insertCounting(sql: string, values: readonly unknown[]): Promise<number> {
    return this.writes.write(async (query) => (await query(sql, values)).rowCount ?? 0);
  }
}
