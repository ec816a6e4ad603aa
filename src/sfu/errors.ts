import type { SfuErrorCode, SfuErrorKind } from './types.ts';

/** Typed SFU error; `kind` uses the same words as the domain's ErrorKind so the mapping is 1:1. */
export class SfuError extends Error {
  readonly kind: SfuErrorKind;
  readonly code: SfuErrorCode;
  constructor(kind: SfuErrorKind, code: SfuErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SfuError';
    this.kind = kind;
    this.code = code;
  }
}

export const sfuClosed = () => new SfuError('conflict', 'sfu_closed', 'the video SFU is closed');
