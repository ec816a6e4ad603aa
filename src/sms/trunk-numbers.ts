import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { E164 } from '../domain/limits.ts';

// The E.164 number of what a carrier wrote without a "+" (SIP users are often bare digits), or null.
// Without a country (SMS_SIP_COUNTRY unset) such digits are international with the plus left out, as
// before. With one, national numbers are read as that country's, by its numbering plan
// (libphonenumber-js knows every country's), in this order:
// - its calling code first, making a valid number: international with the plus left out
//   ("4915112345678" in DE, "14155550123" in US);
// - written with the country's trunk prefix (or an international call prefix such as 00), which the
//   plan takes off: national ("0612345678" in FR is +33612345678, "0033612345678" too);
// - a valid international number ("447911123456" in FR), else a valid national one without its prefix
//   ("4155550123" in US).
export function numberOfDigits(digits: string, country: CountryCode | undefined): string | null {
  if (country) {
    const international = parsePhoneNumberFromString(`+${digits}`);
    const national = parsePhoneNumberFromString(digits, country);
    if (international?.isValid() && digits.startsWith(getCountryCallingCode(country))) return international.number;
    // The plan took a prefix off: the digits were written nationally.
    const prefixed = national !== undefined && national.nationalNumber.length < digits.length;
    if (prefixed && national.isPossible()) return national.number;
    if (international?.isValid()) return international.number;
    if (national?.isValid()) return national.number;
  }
  return E164.test(`+${digits}`) ? `+${digits}` : null;
}
