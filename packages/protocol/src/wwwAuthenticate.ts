import { unquote } from "./values";

/** One challenge of a `WWW-Authenticate` field (RFC 9110 §11.6.1). */
export interface AuthChallenge {
  /** The auth-scheme as sent (`Bearer`); compare it case-insensitively. */
  scheme: string;
  /** The token68 form of the credentials, when the challenge carries one instead of parameters. */
  token68?: string;
  /**
   * The auth-params, names lower-cased, quoted-string values unescaped; the first occurrence of a
   * name wins. A prototype-less object, so any name (even `__proto__`) is an ordinary key.
   */
  params: Record<string, string>;
}

// One list element: `[auth-scheme 1*SP] (auth-param / token68)` or a lone auth-scheme, where
// auth-param = token BWS "=" BWS (token / quoted-string). Groups: scheme, name, token value,
// quoted-string content, token68.
const ELEMENT =
  /^(?:([\w!#$%&'*+.^`|~-]+)(?: +|$))?(?:([\w!#$%&'*+.^`|~-]+)[ \t]*=[ \t]*(?:([\w!#$%&'*+.^`|~-]+)|"((?:\\.|[^"\\])*)")|([\w~+/.-]+=*))?$/s;

/**
 * Parses a `WWW-Authenticate` (or `Proxy-Authenticate`) field value into its challenges, following
 * the RFC 9110 §11.6.1 grammar: several comma-separated challenges in one value, token68 or
 * auth-params, token or quoted-string values with quoted-pair escapes, optional whitespace around
 * `=` and `,`, empty list elements. Only SP separates a scheme from what follows it, and a comma
 * right after a scheme ends its challenge: in `Basic, realm="x"` the realm is not Basic's (in
 * `Basic , realm="x"` it is, as the grammar allows).
 *
 * Never throws. A list element it cannot read is skipped and ends the challenge it was in (later
 * auth-params are not attached to the wrong challenge), so garbage gives `[]` or the challenges that
 * could be read.
 *
 * @example parseWwwAuthenticate('Newauth realm="apps", type=1, Basic realm="simple"')
 * // [{ scheme: "Newauth", params: { realm: "apps", type: "1" } },
 * //  { scheme: "Basic", params: { realm: "simple" } }]
 */
export function parseWwwAuthenticate(field: string | null | undefined): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | undefined;
  // The list elements, split on commas outside quoted strings (an unterminated one runs to the end).
  for (const raw of (typeof field === "string" && field.match(/(?:"(?:\\.|[^"\\])*"?|[^",])+/gs)) ||
    []) {
    const element = raw.trim();
    if (!element) continue;
    const [, scheme, name, token, quoted, token68] = ELEMENT.exec(element) ?? [];
    if (scheme) {
      current = { scheme, params: Object.create(null) };
      challenges.push(current);
    }
    // Unreadable, a token68 with no scheme, or an auth-param after a token68: the challenge ends.
    else if (!name || current?.token68) current = undefined;
    if (current && token68) current.token68 = token68;
    else if (current && name) current.params[name.toLowerCase()] ??= token ?? unquote(quoted!);
    // A lone scheme with no SP before the comma: the comma ends its challenge.
    else if (scheme && !raw.includes(`${scheme} `)) current = undefined;
  }
  return challenges;
}
