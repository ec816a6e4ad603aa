// CSV as spreadsheets read it (RFC 4180): a cell with a comma, quote or line break is quoted, quotes
// doubled; one with a semicolon or tab too, since a spreadsheet in a locale that separates with those
// would split it there (and a part starting with = would run). A cell starting with = + - @ (or a tab
// or carriage return) would be run as a formula by a spreadsheet: it gets a leading ' so it is shown as
// the text it is (OWASP's advice on CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",;\t\r\n]/;

export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
