import { type HeaderSource, headerValue } from "./headers";
import { splitList } from "./list";
import { defined, integer, quote, text } from "./values";

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

// Reads a List of Items with Parameters (RFC 9651 §3.1) whose items are policy names (strings or
// tokens), skipping the members it cannot read. A parameter given twice keeps its last value
// (§4.2.3.2); one of the wrong type is left out.
const members = <T>(value: string | undefined, read: (p: Record<string, string>) => T) =>
  splitList(value).flatMap((member) => {
    const [head, ...params] = splitList(member, ";");
    const policy = text(head);
    const p = Object.fromEntries(params.map((param) => param.split(/\s*=\s*([\s\S]*)/)));
    return policy === undefined ? [] : [defined({ policy, ...read(p) })];
  });

/**
 * Reads the `RateLimit` and `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers-10),
 * e.g. `RateLimit: "default";r=50;t=30` and `RateLimit-Policy: "default";q=100;w=60`, from a
 * `Headers` object or a plain header record (axios, Node). Tolerant where RFC 9651 is strict:
 * members and parameters it cannot read are skipped, whitespace is allowed around `;` and `=`, and a
 * token is accepted for a policy name. Never throws.
 */
export function parseRateLimit(headers: HeaderSource | null | undefined): RateLimitInfo {
  return {
    limits: members(headerValue(headers, "ratelimit"), (p) => ({
      remaining: integer(p.r),
      resetSeconds: integer(p.t),
      partitionKey: text(p.pk),
    })),
    policies: members(headerValue(headers, "ratelimit-policy"), (p) => ({
      quota: integer(p.q),
      quotaUnit: text(p.qu),
      windowSeconds: integer(p.w),
      partitionKey: text(p.pk),
    })),
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
 * 60-second window. `quota` is floored and `windowSeconds` rounded up; names and numbers are made
 * safe as in {@link formatRateLimit}.
 */
export function formatRateLimitPolicy(
  policy: string,
  quota: number,
  windowSeconds: number,
): string {
  return item(policy, { q: Math.floor(quota), w: Math.ceil(windowSeconds) });
}
