const DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun";
const LONG_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday";
const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
const MON = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "(\\d\\d):(\\d\\d):(\\d\\d)";
// IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
const IMF = new RegExp(`^(?:${DAYS}), (\\d\\d) ${MON} (\\d{4}) ${TIME} GMT$`);
// obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
const RFC850 = new RegExp(`^(?:${LONG_DAYS}), (\\d\\d)-${MON}-(\\d\\d) ${TIME} GMT$`);
// ANSI C asctime(): Sun Nov  6 08:49:37 1994
const ASCTIME = new RegExp(`^(?:${DAYS}) ${MON} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7) in any of its three formats: IMF-fixdate, the obsolete
 * RFC 850 form (a two-digit year more than 50 years ahead of `now` is read as the past century's)
 * and ANSI C asctime. Returns epoch milliseconds, or `null` for anything else (including impossible
 * dates such as 31 February). Never throws.
 */
export function parseHttpDate(value: string, now: number = Date.now()): number | null {
  const v = typeof value === "string" ? value.trim() : "";
  let d: string | undefined;
  let mon: string | undefined;
  let y: number;
  let hms: (string | undefined)[];
  const imf = IMF.exec(v);
  const rfc850 = imf ? null : RFC850.exec(v);
  const asctime = imf || rfc850 ? null : ASCTIME.exec(v);
  if (imf) {
    [, d, mon] = imf;
    y = Number(imf[3]);
    hms = imf.slice(4, 7);
  } else if (rfc850) {
    [, d, mon] = rfc850;
    const nowYear = new Date(now).getUTCFullYear();
    y = Math.floor(nowYear / 100) * 100 + Number(rfc850[3]);
    if (y > nowYear + 50) y -= 100;
    hms = rfc850.slice(4, 7);
  } else if (asctime) {
    [, mon, d] = asctime;
    y = Number(asctime[6]);
    hms = asctime.slice(3, 6);
  } else {
    return null;
  }
  const month = MONTHS.indexOf(mon!) / 3;
  const [h, mi, s] = hms.map(Number) as [number, number, number];
  const day = Number(d);
  if (h > 23 || mi > 59 || s > 60) return null;
  const date = new Date(Date.UTC(y, month, day, h, mi, Math.min(s, 59)));
  date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  return date.getUTCDate() === day && date.getUTCMonth() === month ? date.getTime() : null;
}

/**
 * Milliseconds to wait according to a `Retry-After` value (RFC 9110 §10.2.3): delta-seconds, or
 * an HTTP-date in any of its three formats measured from `now` (default `Date.now()`). A date in the
 * past gives 0; anything else (negative, fractional, garbage) gives `null`. Never throws.
 *
 * @example parseRetryAfter("120") // 120000
 * @example parseRetryAfter("Fri, 31 Dec 1999 23:59:59 GMT") // 0
 */
export function parseRetryAfter(value: string, now: number = Date.now()): number | null {
  const v = typeof value === "string" ? value.trim() : "";
  if (/^\d+$/.test(v)) {
    const ms = Number(v) * 1000;
    return Number.isFinite(ms) ? ms : null;
  }
  const date = parseHttpDate(v, now);
  return date === null ? null : Math.max(0, date - now);
}
