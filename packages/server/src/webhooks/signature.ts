import { fromBase64, utf8 } from "../crypto/encoding";
import type { MfaCrypto } from "../crypto/types";

const PREFIX = "whsec_";

/**
 * The HMAC key of a Standard Webhooks secret: `whsec_` then the base64 of 24 to 64 bytes. Throws a
 * `TypeError` for anything else, so a mistyped secret is found at start-up, not by the receiver.
 */
export function webhookKey(secret: unknown, name = "webhook secret"): Uint8Array {
  if (typeof secret !== "string" || !secret.startsWith(PREFIX)) {
    throw new TypeError(`${name} must start with "${PREFIX}" (a Standard Webhooks secret).`);
  }
  const key = fromBase64(secret.slice(PREFIX.length));
  if (!key || key.length < 24 || key.length > 64) {
    throw new TypeError(`${name} must be "${PREFIX}" then the base64 of 24 to 64 random bytes.`);
  }
  return key;
}

/** A new signing secret for an endpoint: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(crypto: Pick<MfaCrypto, "randomBytes">): string {
  return PREFIX + toBase64(crypto.randomBytes(32));
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard (padded) base64, RFC 4648 §4: the alphabet of Standard Webhooks signatures. */
export function toBase64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63]! : "=";
    out += i + 2 < bytes.length ? B64[n & 63]! : "=";
  }
  return out;
}

/**
 * The `v1` signature of a message (Standard Webhooks): base64 of HMAC-SHA256 over
 * `<webhook-id>.<webhook-timestamp>.<body>`.
 */
export function signWebhook(
  crypto: Pick<MfaCrypto, "hmac">,
  key: Uint8Array,
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  return `v1,${toBase64(crypto.hmac("sha256", key, utf8(`${id}.${timestampSeconds}.${body}`)))}`;
}
