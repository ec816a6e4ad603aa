// Sizes a serious chat must carry (SMS-like texts well over 160 characters) and bounds that keep
// one customer from filling the disk.
export const LIMITS = {
  textMaxChars: 8000,
  nameMaxChars: 100,
  clientIdMaxChars: 100,
  contextMaxFields: 50,
  contextKeyMaxChars: 64,
  contextValueMaxChars: 1000,
  attachmentMaxBytes: 10 * 1024 * 1024,
  // Entries of one chat's timeline (messages, photos, events) past which the customer writes no more
  // (MAX_CHAT_ENTRIES; chat-rules.ts checkRoomInChat): at most about 8 MB of text. A real chat is a few dozen.
  chatEntriesMax: 1000,
  // A timeline's seqs are 32-bit integers in both stores: an `after` past this names nothing.
  seqMax: 2 ** 31 - 1,
  imageTypes: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/avif'] as readonly string[],
} as const;

// E.164: a plus, a non-zero country digit, at most 15 digits in all.
export const E164 = /^\+[1-9][0-9]{6,14}$/;
