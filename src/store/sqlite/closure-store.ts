import type { ClosedInteraction, ClosedQuery, ClosureStore, RatingRecord, WrapUpRecord } from '../../domain/closure-ports.ts';
import { alreadyRated } from '../../domain/rating.ts';
import { alreadyWrappedUp } from '../../domain/wrap-up.ts';
import { closedCursor, closureStatements, ratingValues, toClosed, toRating, toWrapUp, wrapUpValues } from '../closure-rows.ts';
import { sqlitePlaceholder } from '../sql.ts';
import { SqliteStore } from './sqlite-store.ts';

const SQL = closureStatements(sqlitePlaceholder);

export class SqliteClosureStore extends SqliteStore implements ClosureStore {
  async saveWrapUp(w: WrapUpRecord): Promise<void> {
    const [changed] = await this.batcher.writeCounting([[SQL.insertWrapUp, wrapUpValues(w)]]);
    if (changed === 0) throw alreadyWrappedUp();
  }

  async getWrapUp(interactionId: string): Promise<WrapUpRecord | undefined> {
    return this.one(SQL.getWrapUp, toWrapUp, interactionId);
  }

  async saveRating(r: RatingRecord): Promise<void> {
    const [changed] = await this.batcher.writeCounting([[SQL.insertRating, ratingValues(r)]]);
    if (changed === 0) throw alreadyRated();
  }

  async getRating(interactionId: string): Promise<RatingRecord | undefined> {
    return this.one(SQL.getRating, toRating, interactionId);
  }

  async listClosed(q: ClosedQuery): Promise<ClosedInteraction[]> {
    return this.all(SQL.listClosed, toClosed, q.from, ...closedCursor(q), q.limit);
  }

  async ratingsSince(since: number): Promise<RatingRecord[]> {
    return this.all(SQL.ratingsSince, toRating, since);
  }
}
