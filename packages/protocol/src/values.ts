// Readers of header field values shared by the parsers.

/** A non-negative integer of at most 15 digits (RFC 9651 §3.3.1), or `undefined`. */
export const integer = (value: string | undefined): number | undefined =>
  /^\d{1,15}$/.test(value ?? "") ? +value! : undefined;

/** The content of a quoted-string (RFC 9110 §5.6.4) or RFC 9651 String, quoted pairs unescaped. */
export const unquote = (content: string) => content.replace(/\\(.)/gs, "$1");

/** `object` without its `undefined` members, so that `"key" in result` means the value was sent. */
export const defined = <T extends object>(object: T): T =>
  Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;

/**
 * `value` as a quoted-string of the characters RFC 6750 §3 allows in error_description and scope
 * (%x20-21 / %x23-5B / %x5D-7E), any other character replaced by "?": nothing needs escaping and no
 * CR or LF ever reaches a header.
 */
export const quote = (value: unknown) => `"${String(value).replace(/[^ !#-[\]-~]/g, "?")}"`;
