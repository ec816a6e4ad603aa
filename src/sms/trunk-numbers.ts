import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { E164 } from '../domain/limits.ts';

// The E.164 number of what a carrier wrote without a "+" (SIP users are often bare digits), or null.
// Without a country (SMS_SIP_COUNTRY unset) such digits are international with the plus left out, as
// before. With one, a national number is read as that country's ("0612345678" in FR is +33612345678,
// "4155550123" in US is +14155550123), which libphonenumber-js knows for every numbering plan; digits
// that start with the country's own code and make a valid number ("4915112345678" in DE) stay
// international, since national numbers there start with the trunk prefix ("0151...").
export function numberOfDigits(digits: string, country: CountryCode | undefined): string | null {
  if (country) {
    const international = parsePhoneNumberFromString(`+${digits}`);
    const valid = international?.isValid() ? international.number : null;
    if (valid && digits.startsWith(getCountryCallingCode(country))) return valid;
    const national = parsePhoneNumberFromString(digits, country);
    if (national?.isValid()) return national.number;
    if (valid) return valid;
  }
  return E164.test(`+${digits}`) ? `+${digits}` : null;
}
