import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { nodeCrypto } from "../crypto/node";
import { createWebhookSecret } from "./createWebhookSecret";
import { signWebhook, toBase64, webhookKey } from "./signature";
import { verifyWebhook } from "./verifyWebhook";

const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
const NOW = 1_700_000_000_000;
const body = JSON.stringify({ type: "mfa.locked", timestamp: "x", data: { id: "m1" } });

const signed = (id = "m1", ts = NOW / 1000, payload = body, key = secret) => ({
  "webhook-id": id,
  "webhook-timestamp": String(ts),
  "webhook-signature": signWebhook(nodeCrypto, webhookKey(key), id, ts, payload),
});

describe("webhook signatures", () => {
  it("writes standard padded base64, as Buffer does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
      }),
    );
  });

  it("signs what the standardwebhooks library verifies", () => {
    const headers = signed("msg_2Lp", Math.floor(Date.now() / 1000));
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("verifies what the standardwebhooks library signs", async () => {
    const at = new Date(NOW);
    const signature = new Webhook(secret).sign("msg_1", at, body);
    const result = await verifyWebhook(
      {
        headers: {
          "Webhook-Id": "msg_1",
          "Webhook-Timestamp": String(NOW / 1000),
          "Webhook-Signature": signature,
        },
        body,
      },
      secret,
      { now: () => NOW },
    );
    expect(result).toMatchObject({ ok: true, id: "msg_1", timestamp: NOW / 1000 });
  });

  it("refuses a secret without the whsec_ prefix or of the wrong size", () => {
    expect(() => webhookKey("abc")).toThrow(/whsec_/);
    expect(() => webhookKey(`whsec_${Buffer.alloc(8).toString("base64")}`)).toThrow(/24 to 64/);
    expect(() => webhookKey("whsec_***")).toThrow(/base64/);
    expect(webhookKey(createWebhookSecret())).toHaveLength(32);
  });
});

describe("verifyWebhook", () => {
  const check = (
    headers: Record<string, string>,
    payload = body,
    now = NOW,
    key: string | string[] = secret,
  ) =>
    verifyWebhook(
      new Request("http://127.0.0.1/hook", { method: "POST", headers, body: payload }),
      key,
      { now: () => now },
    );

  it("accepts a signed Request and returns its id, timestamp and payload", async () => {
    const result = await check(signed());
    expect(result).toEqual({
      ok: true,
      id: "m1",
      timestamp: NOW / 1000,
      payload: JSON.parse(body),
    });
  });

  it("refuses a changed body, another id or another secret", async () => {
    expect(await check(signed(), body.replace("locked", "verified"))).toEqual({
      ok: false,
      reason: "invalid_signature",
    });
    expect(await check({ ...signed(), "webhook-id": "m2" })).toMatchObject({ ok: false });
    const other = `whsec_${Buffer.alloc(32, 8).toString("base64")}`;
    expect(await check(signed(), body, NOW, other)).toEqual({
      ok: false,
      reason: "invalid_signature",
    });
  });

  it("accepts any of several secrets while one is rotated", async () => {
    const other = `whsec_${Buffer.alloc(32, 8).toString("base64")}`;
    expect(await check(signed(), body, NOW, [other, secret])).toMatchObject({ ok: true });
  });

  it("accepts a matching signature among several (the sender rotating its secret)", async () => {
    const headers = signed();
    headers["webhook-signature"] = `v1,AAAA v2,xyz ${headers["webhook-signature"]}`;
    expect(await check(headers)).toMatchObject({ ok: true });
  });

  it("refuses a timestamp more than 5 minutes away either way (replays of a captured request)", async () => {
    expect(await check(signed(), body, NOW + 301_000)).toEqual({
      ok: false,
      reason: "timestamp_too_old",
    });
    expect(await check(signed(), body, NOW - 301_000)).toEqual({
      ok: false,
      reason: "timestamp_too_new",
    });
    expect(await check(signed(), body, NOW + 299_000)).toMatchObject({ ok: true });
  });

  it("refuses missing headers, a malformed timestamp and a body that is not JSON", async () => {
    const { "webhook-signature": _, ...unsigned } = signed();
    expect(await check(unsigned)).toEqual({ ok: false, reason: "missing_headers" });
    expect(await check({ ...signed(), "webhook-timestamp": "1e9" })).toEqual({
      ok: false,
      reason: "invalid_timestamp",
    });
    const text = "not json";
    expect(await check(signed("m1", NOW / 1000, text), text)).toEqual({
      ok: false,
      reason: "invalid_payload",
    });
  });

  it("never throws on arbitrary headers and bodies, and accepts none of them", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          "webhook-id": fc.string(),
          "webhook-timestamp": fc.oneof(fc.string(), fc.constant(String(NOW / 1000))),
          "webhook-signature": fc.oneof(
            fc.string(),
            fc.base64String().map((s) => `v1,${s}`),
          ),
        }),
        fc.oneof(
          fc.string(),
          fc.uint8Array().map((b) => new Uint8Array(b)),
        ),
        async (headers, payload) => {
          const result = await verifyWebhook({ headers, body: payload }, secret, {
            now: () => NOW,
          });
          expect(result.ok).toBe(false);
        },
      ),
    );
  });
});
