import type { HeadersLike } from "./stepUp";

/** One quota-left item of the `RateLimit` field. */
export interface RateLimitItem {
  /** The policy it belongs to (`"default"`). */
  policy: string;
  /** Quota units left (`r`). */
  remaining?: number;
  /** Seconds until the quota resets (`t`). */
  resetSeconds?: number;
  /** The partition key (`pk`), as sent. */
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
  /** The partition key (`pk`), as sent. */
  partitionKey?: string;
}

/** What the `RateLimit` and `RateLimit-Policy` fields say. */
export interface RateLimitInfo {
  limits: RateLimitItem[];
  policies: RateLimitPolicy[];
}

type Bare = string | number | boolean;

// Splits on `sep` outside double-quoted strings (which may hold backslash escapes).
function split(value: string, sep: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted && c === "\\") i++;
    else if (c === '"') quoted = !quoted;
    else if (c === sep && !quoted) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.map((p) => p.trim());
}

// A Structured Field bare item (RFC 9651): integer, string, token, byte sequence or boolean.
function bare(v: string): Bare | undefined {
  if (/^-?\d{1,15}$/.test(v)) return Number(v);
  if (/^"(?:[^"\\]|\\.)*"$/.test(v)) return v.slice(1, -1).replace(/\\(.)/g, "$1");
  if (/^[A-Za-z*][!#$%&'*+\-.^_`|~:/\w]*$/.test(v)) return v;
  if (/^:[A-Za-z0-9+/=]*:$/.test(v)) return v;
  if (v === "?1" || v === "?0") return v === "?1";
  return undefined;
}

// A Structured Field list of items with parameters, skipping members it cannot read.
function sfList(value: string | null | undefined): { name: string; p: Record<string, Bare> }[] {
  const out: { name: string; p: Record<string, Bare> }[] = [];
  if (typeof value !== "string") return out;
  for (const member of split(value, ",")) {
    const [head = "", ...params] = split(member, ";");
    const name = bare(head);
    if (typeof name !== "string") continue;
    const p: Record<string, Bare> = {};
    for (const param of params) {
      const eq = param.indexOf("=");
      const key = (eq < 0 ? param : param.slice(0, eq)).trim();
      const v = eq < 0 ? true : bare(param.slice(eq + 1).trim());
      if (/^[a-z*][a-z0-9_\-.*]*$/.test(key) && v !== undefined && !(key in p)) p[key] = v;
    }
    out.push({ name, p });
  }
  return out;
}

const count = (v: Bare | undefined) => (typeof v === "number" && v >= 0 ? v : undefined);
const text = (v: Bare | undefined) => (typeof v === "string" ? v : undefined);

function read(headers: HeadersLike | Record<string, unknown>, name: string): string | undefined {
  if (typeof (headers as HeadersLike).get === "function") {
    return (headers as HeadersLike).get(name) ?? undefined;
  }
  for (const key in headers) {
    if (key.toLowerCase() === name) {
      const v = (headers as Record<string, unknown>)[key];
      return Array.isArray(v) ? v.join(", ") : typeof v === "string" ? v : undefined;
    }
  }
  return undefined;
}

/**
 * Reads the `RateLimit` and `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers-10),
 * e.g. `RateLimit: "default";r=50;t=30` and `RateLimit-Policy: "default";q=100;w=60`, from a
 * `Headers` object or a plain header record (axios). Members and parameters it cannot read are
 * skipped; it never throws.
 */
export function parseRateLimit(headers: HeadersLike | Record<string, unknown>): RateLimitInfo {
  const h = headers ?? {};
  const limits = sfList(read(h, "ratelimit")).map(({ name, p }) => {
    const item: RateLimitItem = { policy: name };
    if (count(p.r) !== undefined) item.remaining = count(p.r);
    if (count(p.t) !== undefined) item.resetSeconds = count(p.t);
    if (text(p.pk) !== undefined) item.partitionKey = text(p.pk);
    return item;
  });
  const policies = sfList(read(h, "ratelimit-policy")).map(({ name, p }) => {
    const policy: RateLimitPolicy = { policy: name };
    if (count(p.q) !== undefined) policy.quota = count(p.q);
    if (text(p.qu) !== undefined) policy.quotaUnit = text(p.qu);
    if (count(p.w) !== undefined) policy.windowSeconds = count(p.w);
    if (text(p.pk) !== undefined) policy.partitionKey = text(p.pk);
    return policy;
  });
  return { limits, policies };
}

/**
 * Formats one `RateLimit` item: `formatRateLimit("default", 0, 30)` is `"default";r=0;t=30`.
 */
export function formatRateLimit(policy: string, remaining: number, resetSeconds: number): string {
  return `"${policy.replace(/[^\x20-\x7e]/g, "").replace(/["\\]/g, "\\$&")}";r=${Math.max(0, Math.floor(remaining))};t=${Math.max(0, Math.ceil(resetSeconds))}`;
}
