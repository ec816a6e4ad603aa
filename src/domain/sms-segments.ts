// How many SMS a text takes (3GPP TS 23.038 / 23.040). A text that fits the GSM 7-bit default alphabet
// goes as GSM-7: 160 septets in one SMS, 153 per part once it is split (the user data header takes the
// rest); characters of the extension table (€, [, ], {, }, ^, ~, \, |, form feed) take two septets
// (escape + character). Anything else goes as UCS-2: 70 UTF-16 units alone, 67 per part; a character
// outside the Basic Multilingual Plane (most emoji) is a surrogate pair, two units. A character is
// never split across two parts, so a part may end a unit short.

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentInfo {
  encoding: SmsEncoding;
  // Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes.
  units: number;
  // 0 for an empty text.
  segments: number;
}

// The GSM 7-bit default alphabet, in code order (0x1B, the escape to the extension table, left out).
export const GSM7_BASIC =
  '@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5' +
  '\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9' +
  ' !"#\u00a4%&\'()*+,-./0123456789:;<=>?' +
  '\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7' +
  '\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0';

// The extension table: each of these is sent as escape + character, two septets.
export const GSM7_EXTENSION = '\f^{}\\[~]|\u20ac';

export const SMS_LIMITS = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
} as const;

const BASIC = new Set(GSM7_BASIC);
const EXTENSION = new Set(GSM7_EXTENSION);

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!BASIC.has(ch) && !EXTENSION.has(ch)) return false;
  return true;
}

export function countSegments(text: string): SegmentInfo {
  const encoding: SmsEncoding = isGsm7(text) ? 'GSM-7' : 'UCS-2';
  // Units of each character (iterating a string yields whole code points: a surrogate pair is one).
  const sizes: number[] = [];
  for (const ch of text) sizes.push(encoding === 'GSM-7' ? (EXTENSION.has(ch) ? 2 : 1) : ch.length);
  const units = sizes.reduce((a, b) => a + b, 0);
  const limits = SMS_LIMITS[encoding];
  if (units === 0) return { encoding, units, segments: 0 };
  if (units <= limits.single) return { encoding, units, segments: 1 };
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > limits.part) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return { encoding, units, segments };
}

// What the desktop shows while the agent types, e.g. "2 SMS (GSM-7)".
export function describeSegments(info: SegmentInfo): string {
  return `${info.segments} SMS (${info.encoding})`;
}
