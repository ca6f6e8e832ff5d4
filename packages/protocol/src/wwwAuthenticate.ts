/** One challenge of a `WWW-Authenticate` field (RFC 9110 §11.6.1). */
export interface AuthChallenge {
  /** The auth-scheme as sent (`Bearer`); compare it case-insensitively. */
  scheme: string;
  /** The token68 form of the credentials, when the challenge carries one instead of parameters. */
  token68?: string;
  /** The auth-params, names lower-cased, quoted-string values unescaped. First occurrence wins. */
  params: Record<string, string>;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;

/**
 * Parses a `WWW-Authenticate` (or `Proxy-Authenticate`) field value into its challenges, following
 * the full RFC 9110 §11.6.1 grammar: several comma-separated challenges in one value, token68 or
 * auth-params, token or quoted-string values with quoted-pair escapes, optional whitespace around
 * `=` and `,`, empty list elements.
 *
 * Never throws: a malformed part is skipped up to the next comma and parsing carries on, so garbage
 * gives `[]` or the challenges that could be read.
 *
 * @example parseWwwAuthenticate('Newauth realm="apps", type=1, Basic realm="simple"')
 * // [{ scheme: "Newauth", params: { realm: "apps", type: "1" } },
 * //  { scheme: "Basic", params: { realm: "simple" } }]
 */
export function parseWwwAuthenticate(value: string): AuthChallenge[] {
  const s = typeof value === "string" ? value : "";
  const n = s.length;
  const out: AuthChallenge[] = [];
  let i = 0;
  let current: AuthChallenge | undefined;

  const ws = () => {
    while (s[i] === " " || s[i] === "\t") i++;
  };
  const token = () => {
    const start = i;
    while (i < n && TCHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  // Skips a malformed element: up to the next comma that is not inside a quoted string.
  const skip = () => {
    let quoted = false;
    for (; i < n; i++) {
      const c = s[i];
      if (quoted && c === "\\") i++;
      else if (c === '"') quoted = !quoted;
      else if (c === "," && !quoted) return;
    }
  };
  const quoted = (): string | undefined => {
    let text = "";
    for (i++; i < n; i++) {
      const c = s[i];
      if (c === '"') {
        i++;
        return text;
      }
      if (c === "\\") i++;
      if (i < n) text += s[i];
    }
    return undefined; // unterminated
  };

  // `listStart`: at the start of a list element, where a new challenge may begin.
  let listStart = true;
  while (i < n) {
    ws();
    if (s[i] === ",") {
      i++;
      listStart = true;
      continue;
    }
    if (i >= n) break;
    const name = token();
    const afterName = i;
    ws();
    if (name && current && s[i] === "=") {
      // auth-param of the current challenge: token BWS "=" BWS ( token / quoted-string )
      i++;
      ws();
      const v = s[i] === '"' ? quoted() : token() || undefined;
      const end = i;
      ws();
      if (v === undefined || (i < n && s[i] !== ",")) {
        i = end;
        skip();
        continue;
      }
      const key = name.toLowerCase();
      if (!(key in current.params) && key !== "__proto__") current.params[key] = v;
      listStart = false;
      continue;
    }
    if (!name || !listStart) {
      skip();
      continue;
    }
    // A new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    current = { scheme: name, params: {} };
    out.push(current);
    listStart = false;
    if (i === afterName || i >= n || s[i] === ",") continue;
    const t68 = TOKEN68.exec(s.slice(i));
    if (t68) {
      let j = i + t68[0].length;
      while (s[j] === " " || s[j] === "\t") j++;
      // token68, unless it is really the start of an auth-param ("realm=" then a value)
      if (j >= n || s[j] === ",") {
        current.token68 = t68[0];
        i = j;
      }
    }
  }
  return out;
}
