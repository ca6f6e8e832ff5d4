import { defaultCrypto } from "../crypto/default";
import { fromBase64, utf8 } from "../crypto/encoding";
import type { MfaCrypto } from "../crypto/types";
import type { MfaEvent } from "../events/types";
import { webhookKey } from "./signature";

/** A webhook as a framework hands it over when it is not a Fetch `Request` (Express, Node). */
export interface WebhookInput {
  /** The request headers (names in any case; Node's `req.headers` fits). */
  headers: Record<string, string | string[] | undefined> | Headers;
  /** The raw body, exactly as received (not re-serialised JSON). */
  body: string | Uint8Array;
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way, in seconds. Defaults to `300`. */
  toleranceSeconds?: number;
  /** The receiver's clock, epoch milliseconds. Defaults to `Date.now`. */
  now?: () => number;
  /** The crypto implementation. Defaults to the kit's. */
  crypto?: MfaCrypto;
}

/** What the kit POSTs: the Standard Webhooks envelope around one event. */
export interface WebhookPayload {
  /** The event type, e.g. `"mfa.locked"`. */
  type: MfaEvent["type"];
  /** When the event happened (ISO 8601). */
  timestamp: string;
  /** The event itself; `data.id` is the `webhook-id`. */
  data: MfaEvent;
}

/** The answer of {@link verifyWebhook}. */
export type WebhookVerification =
  | {
      ok: true;
      /** The `webhook-id`: the same on every retry, so store it to drop duplicates. */
      id: string;
      /** The `webhook-timestamp` of this try, epoch seconds. */
      timestamp: number;
      payload: WebhookPayload;
    }
  | {
      ok: false;
      reason:
        | "missing_headers"
        | "invalid_timestamp"
        | "timestamp_too_old"
        | "timestamp_too_new"
        | "invalid_signature"
        | "invalid_payload";
    };

const MAX_BODY = 1 << 20;
const decoder = new TextDecoder("utf-8", { fatal: true });

function header(headers: WebhookInput["headers"], name: string): string | null {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name);
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name)
      return Array.isArray(value) ? value.join(", ") : (value ?? null);
  }
  return null;
}

/**
 * Checks a webhook the kit sent, on the receiving app's side: the `webhook-signature` (any of its
 * space-separated `v1,` signatures) under `secret` (or any of several, while rotating), a
 * `webhook-timestamp` within `toleranceSeconds` of now (so a captured request cannot be replayed
 * later), and a JSON body. Compare in constant time; never throws for bad input: a forged, stale or
 * malformed request is `{ ok: false, reason }`. Answer 2xx only after storing the event; drop an
 * `id` already seen (deliveries are at least once).
 *
 * @example
 * const result = await verifyWebhook(request, process.env.MFA_WEBHOOK_SECRET);
 * if (!result.ok) return new Response(null, { status: 400 });
 */
export async function verifyWebhook(
  request: Request | WebhookInput,
  secret: string | string[],
  options: VerifyWebhookOptions = {},
): Promise<WebhookVerification> {
  const keys = (Array.isArray(secret) ? secret : [secret]).map((s) => webhookKey(s));
  const crypto = options.crypto ?? defaultCrypto;
  const headers = request.headers;
  const id = header(headers, "webhook-id");
  const stamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !stamp || !signatures) return { ok: false, reason: "missing_headers" };
  if (!/^\d{1,12}$/.test(stamp.trim())) return { ok: false, reason: "invalid_timestamp" };
  const timestamp = Number(stamp.trim());
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (timestamp < nowSeconds - tolerance) return { ok: false, reason: "timestamp_too_old" };
  if (timestamp > nowSeconds + tolerance) return { ok: false, reason: "timestamp_too_new" };

  let body: string;
  try {
    if (request instanceof Request) {
      const bytes = new Uint8Array(await request.arrayBuffer());
      if (bytes.length > MAX_BODY) return { ok: false, reason: "invalid_payload" };
      body = decoder.decode(bytes);
    } else if (typeof request.body === "string") {
      body = request.body;
    } else {
      body = decoder.decode(request.body);
    }
  } catch {
    return { ok: false, reason: "invalid_payload" };
  }
  if (body.length > MAX_BODY) return { ok: false, reason: "invalid_payload" };

  const signed = utf8(`${id}.${timestamp}.${body}`);
  const expected = keys.map((key) => crypto.hmac("sha256", key, signed));
  let valid = false;
  for (const part of signatures.split(" ")) {
    const comma = part.indexOf(",");
    if (comma < 0 || part.slice(0, comma) !== "v1") continue;
    const given = fromBase64(part.slice(comma + 1));
    if (!given) continue;
    for (const mac of expected) if (crypto.timingSafeEqual(mac, given)) valid = true;
  }
  if (!valid) return { ok: false, reason: "invalid_signature" };
  let payload: WebhookPayload;
  try {
    payload = JSON.parse(body) as WebhookPayload;
  } catch {
    return { ok: false, reason: "invalid_payload" };
  }
  if (typeof payload !== "object" || payload === null || typeof payload.type !== "string") {
    return { ok: false, reason: "invalid_payload" };
  }
  return { ok: true, id, timestamp, payload };
}
