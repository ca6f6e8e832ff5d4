import { splitList } from "./list";
import { text } from "./values";

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
// auth-param = token BWS "=" BWS (token / quoted-string). Groups: scheme, name, value, token68.
const ELEMENT =
  /^(?:([\w!#$%&'*+.^`|~-]+)(?:\s+|$))?(?:([\w!#$%&'*+.^`|~-]+)\s*=\s*([\w!#$%&'*+.^`|~-]+|"(?:\\[\s\S]|[^"\\])*")|([\w~+/.-]+=*))?$/;

/**
 * Parses a `WWW-Authenticate` (or `Proxy-Authenticate`) field value into its challenges, following
 * the RFC 9110 §11.6.1 grammar: several comma-separated challenges in one value, token68 or
 * auth-params, token or quoted-string values with quoted-pair escapes, optional whitespace around
 * `=` and `,`, empty list elements.
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
  for (const element of splitList(field)) {
    const [, scheme, name, value, token68] = ELEMENT.exec(element) ?? [];
    if (scheme) {
      current = { scheme, params: Object.create(null) };
      challenges.push(current);
    }
    // Unreadable, a token68 with no scheme, or an auth-param after a token68: the challenge ends.
    else if (!name || current?.token68) current = undefined;
    if (current && token68) current.token68 = token68;
    else if (current && name) current.params[name.toLowerCase()] ??= text(value)!;
  }
  return challenges;
}
