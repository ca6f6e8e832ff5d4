import fc from "fast-check";

// Arbitraries shared by the property tests of the parsers.

/** Characters that matter to header grammars, so that generated garbage often looks nearly valid. */
const GRAMMAR = [...'aZ09 \t\r\n,;="\\:/-+.~*?()<>@{}[]_!#$%&^`|'];

/** One UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));

/**
 * Any string: printable ASCII, any Unicode code point, raw UTF-16 (lone surrogates), or a soup of
 * the characters header grammars are made of.
 */
export const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: codeUnit }),
  fc.string({ unit: fc.constantFrom(...GRAMMAR), maxLength: 80 }),
);

/** An RFC 9110 token: 1*tchar. */
export const token = fc.string({
  unit: fc.constantFrom(
    ..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
  ),
  minLength: 1,
  maxLength: 12,
});

/** Printable ASCII without `"` and `\`: what RFC 6750 allows in error_description and scope. */
export const rfc6750Text = fc
  .string({
    unit: fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))),
    maxLength: 40,
  })
  .map((s) => s.replace(/["\\]/g, ""));
