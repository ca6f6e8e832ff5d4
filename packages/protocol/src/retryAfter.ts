/**
 * Parses an HTTP-date (RFC 9110 §5.6.7) in any of its three formats: IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`)
 * and ANSI C asctime (`Sun Nov  6 08:49:37 1994`). An RFC 850 two-digit year is read as the one from
 * 49 years before `now` to 50 years after it (by calendar year), as RFC 9110 requires. Returns epoch
 * milliseconds, or `null` for anything else, including impossible dates (31 February, hour 24) and
 * years before 100. A leap second (`:60`) counts as `:59`; as RFC 9110 encourages robustness, the
 * day name is not checked. Never throws.
 */
export function parseHttpDate(
  value: string | null | undefined,
  now: number = Date.now(),
): number | null {
  // Every format is rewritten as an IMF-fixdate, which is what `toUTCString()` prints.
  const imf = (typeof value === "string" ? value.trim() : "")
    .replace(/^(\w{3}) (\w{3}) ( \d|\d\d) (\S+) (\d{4})$/, "$1, $3 $2 $5 $4 GMT") // asctime
    .replace(",  ", ", 0")
    .replace(/^(\w{3})\w*, (\d\d)-(\w{3})-(\d\d) /, (_, day, dd, mon, yy) => {
      // RFC 850: the year ending in `yy` from 49 years before `now` to 50 years after it
      const from = new Date(now).getUTCFullYear() - 49;
      return `${day}, ${dd} ${mon} ${+yy + Math.ceil((from - yy) / 100) * 100} `;
    })
    .replace(/:60 GMT$/, ":59 GMT");
  const date = Date.parse(imf);
  // Printed back, the date must be the same text: this rejects impossible days and hours, and
  // whatever else `Date.parse` would have guessed at ("Invalid Date" included).
  return !Number.isNaN(date) && new Date(date).toUTCString().slice(3) === imf.slice(3)
    ? date
    : null;
}

/**
 * Milliseconds to wait according to a `Retry-After` value (RFC 9110 §10.2.3): delta-seconds (values
 * beyond 2^31 seconds count as 2^31, as RFC 9111 §1.2.2 says), or an HTTP-date in any of its three
 * formats measured from `now` (default `Date.now()`). A date in the past gives 0; anything else
 * (negative, fractional, garbage) gives `null`. Never throws.
 *
 * @example parseRetryAfter("120") // 120000
 * @example parseRetryAfter("Fri, 31 Dec 1999 23:59:59 GMT") // 0
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | null {
  if (/^\s*\d+\s*$/.test(value!)) return Math.min(+value!, 2 ** 31) * 1000;
  const date = parseHttpDate(value, now);
  // `null` stays `null`; the epoch (0) is in the past, as any date before `now`: 0 ms.
  return date && Math.max(0, date - now);
}
