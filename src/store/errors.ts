// What a store's failures look like to its callers, whatever the engine. A refusal the domain knows
// (client_id_taken) is a DomainError instead; these are the database's own.

// A write the database refused or could not take: nothing of it is stored, unless `maybeCommitted`
// (the connection broke while COMMIT was on its way: the database may have stored it; the domain then
// keeps its seq, ports.ts). `code` is the engine's (SQLite's error code, PostgreSQL's SQLSTATE such as
// 23505 for a unique violation, or the network's such as ECONNREFUSED).
export class WriteFailed extends Error {
  readonly code: string;
  readonly maybeCommitted: boolean;
  constructor(message: string, code: string, options?: ErrorOptions & { maybeCommitted?: boolean }) {
    super(message, options);
    this.name = 'WriteFailed';
    this.code = code;
    this.maybeCommitted = options?.maybeCommitted ?? false;
  }
}

// The store was closed: it takes no more writes.
export class StoreClosed extends Error {
  readonly code = 'store_closed';
  constructor() {
    super('the store is closed');
    this.name = 'StoreClosed';
  }
}

// No photo with that id. `code` is ENOENT, as the file store's fs error has it, so callers test one code.
export class AttachmentNotFound extends Error {
  readonly code = 'ENOENT';
  constructor(id: string) {
    super(`no attachment ${id}`);
    this.name = 'AttachmentNotFound';
  }
}
