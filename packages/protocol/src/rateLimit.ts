import { type HeaderSource, headerValue } from "./headers";
import { quote, unquote } from "./values";

/** One quota-left item of the `RateLimit` field. */
export interface RateLimitItem {
  /** The policy it belongs to (`"default"`). */
  policy: string;
  /** Quota units left (`r`). */
  remaining?: number;
  /** Seconds until the quota resets (`t`). */
  resetSeconds?: number;
  /** The partition key (`pk`), as sent (a byte sequence keeps its colons: `:dXNlcjE=:`). */
  partitionKey?: string;
}

/** One policy of the `RateLimit-Policy` field. */
export interface RateLimitPolicy {
  policy: string;
  /** Quota allocated per window (`q`). */
  quota?: number;
  /** What the quota counts (`qu`): `requests`, `content-bytes`, ... */
  quotaUnit?: string;
  /** Window length in seconds (`w`). */
  windowSeconds?: number;
  /** The partition key (`pk`), as sent (a byte sequence keeps its colons: `:dXNlcjE=:`). */
  partitionKey?: string;
}

/** What the `RateLimit` and `RateLimit-Policy` fields say. */
export interface RateLimitInfo {
  limits: RateLimitItem[];
  policies: RateLimitPolicy[];
}

// The pieces of an RFC 9651 List of Items with Parameters (§3.1), each matched where the last one
// ended (sticky): a member's String (group 1) at the start or after a comma; a Parameter (§3.1.2:
// key 2, then the Bare Item as a non-negative Integer 3, a String's content 4, a Byte Sequence 5,
// or another type: Decimal before Integer and Date so that the greedy match is the only parse,
// Display String content 6); the SP that may end the field.
const PIECE =
  /(?:^ *|(?!^)[ \t]*,[ \t]*)"((?:[ !#-[\]-~]|\\["\\])*)"|; *([a-z*][a-z\d_.*-]*)(?:=(?:(-0{1,15}|\d{1,15})(?![\d.])|"((?:[ !#-[\]-~]|\\["\\])*)"|(:[A-Za-z\d+/=]*:)|-?\d{1,12}\.\d{1,3}|@?-?\d{1,15}|[A-Za-z*][\w!#$%&'*+.^`|~:/-]*|\?[01]|%"((?:[ !#$&-~]|%[\da-f]{2})*)"))?| +$/gy;

// Reads a List of Strings with Parameters (RFC 9651 §4.2) strictly, then maps the parameters in
// `names` to members of the result: `pk` a Byte Sequence (as sent), `qu` a String, `w` a positive
// Integer, any other a non-negative Integer; `required` must be there. Any syntax error, a member
// that is not a String, or a parameter of the wrong type makes the field malformed, and
// draft-ietf-httpapi-ratelimit-headers-10 §5 says to ignore it whole: `[]`. A parameter given
// twice keeps its last value (§4.2.3.2); unknown parameters are checked, then ignored.
function members<T>(field = "", required: string, names: Record<string, string>): T[] {
  const list: [string, Record<string, (string | undefined)[]>][] = [];
  let params: Record<string, (string | undefined)[]>;
  try {
    // A parameter before any member finds no `params` and throws, as does a Display String that
    // is not UTF-8 (§4.2.10); what no piece matches is left over.
    const rest = field.replace(PIECE, (_, name, key, int, string, bytes, display = "") => {
      if (name === undefined) params[key] = [int, string, bytes, decodeURIComponent(display)];
      else {
        params = {};
        list.push([unquote(name), params]);
      }
      return "";
    });
    return rest
      ? []
      : list.map(([policy, p]) => {
          const item: Record<string, unknown> = { policy };
          if (!p[required]) throw 0;
          for (const key in names) {
            const i = key === "pk" ? 2 : +(key === "qu");
            const v = p[key]?.[i];
            if (p[key] && (v === undefined || (key === "w" && !+v))) throw 0;
            if (v !== undefined) item[names[key]!] = i ? unquote(v) : Math.abs(+v);
          }
          return item as T;
        });
  } catch {
    return [];
  }
}

/**
 * Reads the `RateLimit` and `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers-10),
 * e.g. `RateLimit: "default";r=50;t=30` and `RateLimit-Policy: "default";q=100;w=60`, from a
 * `Headers` object or a plain header record (axios, Node). Each field is parsed strictly as an
 * RFC 9651 List of Strings with Parameters; a malformed field (a syntax error anywhere, a policy
 * name that is not a String, `r` or `q` missing, `r`, `t` or `q` not a non-negative Integer, `w`
 * not a positive one, `qu` not a String, `pk` not a Byte Sequence) is ignored whole, as §5 of the
 * draft requires: its list is empty. Never throws.
 */
export function parseRateLimit(headers: HeaderSource | null | undefined): RateLimitInfo {
  return {
    limits: members(headerValue(headers, "ratelimit"), "r", {
      r: "remaining",
      t: "resetSeconds",
      pk: "partitionKey",
    }),
    policies: members(headerValue(headers, "ratelimit-policy"), "q", {
      q: "quota",
      qu: "quotaUnit",
      w: "windowSeconds",
      pk: "partitionKey",
    }),
  };
}

// A Structured Field Item: the name as a string (see `quote`), then integer parameters clamped to
// 0…999,999,999,999,999 (NaN gives 0).
const item = (policy: string, params: Record<string, number>) =>
  quote(policy) +
  Object.entries(params)
    .map(([key, n]) => `;${key}=${Math.min(Math.max(n || 0, 0), 999999999999999)}`)
    .join("");

/**
 * Formats one `RateLimit` item that {@link parseRateLimit} reads back: `formatRateLimit("default",
 * 0, 30)` is `"default";r=0;t=30`. `remaining` is floored and `resetSeconds` rounded up (never tell a
 * client to come back too early); both are clamped to 0…10^15-1, NaN giving 0. In the policy name,
 * `"`, `\` and characters outside printable ASCII become `?`, so the value is always a safe header.
 */
export function formatRateLimit(policy: string, remaining: number, resetSeconds: number): string {
  return item(policy, { r: Math.floor(remaining), t: Math.ceil(resetSeconds) });
}

/**
 * Formats one `RateLimit-Policy` item that {@link parseRateLimit} reads back:
 * `formatRateLimitPolicy("default", 100, 60)` is `"default";q=100;w=60`, a quota of 100 per
 * 60-second window. `quota` is floored and `windowSeconds` rounded up to at least 1 (a window must
 * be positive); names and numbers are made safe as in {@link formatRateLimit}.
 */
export function formatRateLimitPolicy(
  policy: string,
  quota: number,
  windowSeconds: number,
): string {
  // `w` must be positive (draft-ietf-httpapi-ratelimit-headers-10 §3.1.3): at least 1 second.
  return item(policy, { q: Math.floor(quota), w: Math.max(Math.ceil(windowSeconds) || 1, 1) });
}
