import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { memoryStore } from "../stores/memory";
import { T0, type TestKit, testKit, totpCode, userWithTotp, wrong } from "../testing/fixtures";
import { backoffDelay } from "./backoff";
import { memoryOutbox } from "./memoryOutbox";
import type { WebhookRequest, WebhookResponse } from "./types";
import type { WebhookPayload } from "./verifyWebhook";
import { verifyWebhook } from "./verifyWebhook";

const SECRET = `whsec_${Buffer.alloc(32, 3).toString("base64")}`;

/** A scripted receiver: answers each request with the next status (then 200), records them. */
function receiver(statuses: (number | Error | [number, string])[] = []) {
  const requests: WebhookRequest[] = [];
  const transport = async (r: WebhookRequest): Promise<WebhookResponse> => {
    requests.push(r);
    const next = statuses.shift() ?? 200;
    if (next instanceof Error) throw next;
    const [status, retryAfter] = Array.isArray(next) ? next : [next, null];
    return { status, headers: { get: (n) => (n === "retry-after" ? retryAfter : null) } };
  };
  return { requests, transport };
}

/** Lets the event bus run (fake timers), then waits for the outbox writes and delivery rounds. */
async function settle(kit: { mfa: import("../server").MfaServer }) {
  await vi.advanceTimersByTimeAsync(0);
  await kit.mfa.flushEvents();
  await kit.mfa.webhooks!.idle();
}

/** One `factor.enrolled` event for `userId`, without moving the clock. */
async function enrolled(kit: TestKit, userId = "alice") {
  const { factorId, secret } = await kit.mfa.enrollTotp(userId);
  const done = await kit.mfa.activateFactor(userId, factorId, totpCode(secret, kit.clock.now));
  if (!done.ok) throw new Error(done.reason);
}

function kitWith(statuses: (number | Error | [number, string])[] = [], extra = {}) {
  const r = receiver(statuses);
  const errors: unknown[] = [];
  const kit = testKit({
    webhooks: [{ url: "https://hooks.example.com/mfa", secret: SECRET, ...extra }],
    webhookDelivery: {
      transport: r.transport,
      random: () => 0.5,
      onError: (e) => void errors.push(e),
      pollMs: 1_000,
    },
  });
  return { ...r, kit, errors };
}

describe("webhook delivery", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("backs off exponentially with full jitter, up to the cap", () => {
    expect(backoffDelay(1, 1_000, 300_000, () => 0.999)).toBe(999);
    expect(backoffDelay(4, 1_000, 300_000, () => 0.5)).toBe(4_000);
    expect(backoffDelay(30, 1_000, 300_000, () => 0.5)).toBe(150_000);
    expect(backoffDelay(3, 1_000, 300_000, () => 0)).toBe(0);
  });

  it("posts each event signed, with nothing secret in the body", async () => {
    const { kit, requests } = kitWith();
    const { secret } = await userWithTotp(kit);
    const code = totpCode(secret, kit.clock.now);
    const ok = await kit.mfa.verify({ userId: "alice", code });
    expect(ok.ok).toBe(true);
    await kit.mfa.verify({
      userId: "alice",
      code: wrong(totpCode(secret, kit.clock.now + 60_000)),
    });
    await settle(kit);
    const types = requests.map((r) => (JSON.parse(r.body) as WebhookPayload).type);
    expect(types).toEqual(["factor.enrolled", "mfa.verified", "mfa.failed"]);
    for (const r of requests) {
      const result = await verifyWebhook({ headers: r.headers, body: r.body }, SECRET, {
        now: () => kit.clock.now,
      });
      expect(result.ok).toBe(true);
      expect(r.body).not.toContain(secret);
      expect(r.body).not.toContain(code);
      if (ok.ok) expect(r.body).not.toContain(ok.session.token);
      expect(r.timeoutMs).toBe(10_000);
    }
    kit.mfa.webhooks!.close();
  });

  it("sends only the events an endpoint asked for", async () => {
    const { kit, requests } = kitWith([], { events: ["mfa.failed"] });
    const { secret } = await userWithTotp(kit);
    await kit.mfa.verify({ userId: "alice", code: wrong(totpCode(secret, kit.clock.now)) });
    await settle(kit);
    expect(requests.map((r) => JSON.parse(r.body).type)).toEqual(["mfa.failed"]);
    kit.mfa.webhooks!.close();
  });

  it("retries a failed delivery with the same webhook-id and a fresh signature", async () => {
    const { kit, requests } = kitWith([500, new Error("ECONNREFUSED"), 503]);
    await enrolled(kit);
    await settle(kit);
    expect(requests).toHaveLength(1);
    // Full jitter at 0.5: 0.5 s, 1 s, 2 s after each failure (the poll runs every second).
    for (let i = 0; i < 4; i++) {
      kit.tick(2_000);
      await vi.advanceTimersByTimeAsync(1_000);
      await kit.mfa.webhooks!.idle();
    }
    expect(requests).toHaveLength(4);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(new Set(requests.map((r) => r.headers["webhook-timestamp"])).size).toBe(4);
    kit.mfa.webhooks!.close();
  });

  it("waits as long as Retry-After says", async () => {
    const { kit, requests } = kitWith([[429, "120"]]);
    await enrolled(kit);
    await settle(kit);
    kit.tick(119_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await kit.mfa.webhooks!.idle();
    expect(requests).toHaveLength(1);
    kit.tick(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await kit.mfa.webhooks!.idle();
    expect(requests).toHaveLength(2);
    kit.mfa.webhooks!.close();
  });

  it("gives up at the end of the retry window, reporting it, and goes on with the next event", async () => {
    const failures = Array.from({ length: 50 }, () => 500);
    const { kit, requests, errors } = kitWith(failures, { retryWindowMs: 60_000 });
    await enrolled(kit);
    await settle(kit);
    for (let t = 0; t < 70; t++) {
      kit.tick(1_000);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    await kit.mfa.webhooks!.idle();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/given up after \d+ tries: HTTP 500/);
    const last = requests.at(-1)!;
    // The last try is made at the end of the window, not skipped.
    expect(Number(last.headers["webhook-timestamp"]) * 1000).toBe(T0 + 60_000);
    kit.mfa.webhooks!.close();
  });

  it("holds a user's later events until the earlier one is delivered (order per user)", async () => {
    const { kit, requests } = kitWith([500, 500]);
    await userWithTotp(kit, "alice");
    await kit.mfa.revokeSessions("alice");
    const { factorId } = await kit.mfa.enrollTotp("bob");
    await kit.mfa.removeFactor("alice", (await kit.mfa.listFactors("alice")).factors[0]!.id);
    await settle(kit);
    expect(factorId).toBeTruthy();
    for (let t = 0; t < 10; t++) {
      kit.tick(1_000);
      await vi.advanceTimersByTimeAsync(1_000);
      await kit.mfa.webhooks!.idle();
    }
    const delivered = requests.map((r) => JSON.parse(r.body).data);
    const alice = delivered.filter((e) => e.userId === "alice").map((e) => e.type);
    expect(alice).toEqual([
      "factor.enrolled",
      "factor.enrolled",
      "factor.enrolled",
      "factor.removed",
    ]);
    kit.mfa.webhooks!.close();
  });

  it("keeps messages another instance wrote when that one stopped before delivering", async () => {
    const outbox = memoryOutbox();
    const store = Object.assign(memoryStore(), outbox);
    const down = receiver(Array.from({ length: 9 }, () => new Error("ECONNREFUSED")));
    const a = testKit({
      store,
      webhooks: [{ url: "https://hooks.example.com/mfa", secret: SECRET }],
      webhookDelivery: { transport: down.transport, onError: () => {} },
    });
    await enrolled(a);
    await settle(a);
    a.mfa.webhooks!.close(); // the instance is gone, its message still in the shared outbox
    expect(outbox.size()).toBe(1);
    const up = receiver();
    const b = testKit({
      store,
      webhooks: [{ url: "https://hooks.example.com/mfa", secret: SECRET }],
      webhookDelivery: { transport: up.transport },
    });
    b.tick(30_000);
    await b.mfa.webhooks!.deliver();
    expect(up.requests.map((r) => r.headers["webhook-id"])).toEqual(
      down.requests.map((r) => r.headers["webhook-id"]),
    );
    expect(outbox.size()).toBe(0);
    b.mfa.webhooks!.close();
  });

  it("refuses bad endpoints at start-up", () => {
    const make = (webhooks: unknown) => () =>
      testKit({
        webhooks: webhooks as never,
        webhookDelivery: { transport: receiver().transport },
      });
    expect(make([{ url: "http://hooks.example.com", secret: SECRET }])).toThrow(/https/);
    expect(make([{ url: "/relative", secret: SECRET }])).toThrow(/absolute URL/);
    expect(make([{ url: "https://h.example", secret: "s3cret" }])).toThrow(/whsec_/);
    expect(
      make([{ url: "https://h.example", secret: SECRET, retryWindowMs: 5 * 3_600_000 }]),
    ).toThrow(/4 hours/);
    expect(make([{ url: "http://127.0.0.1:9/hook", secret: SECRET }])).not.toThrow();
  });
});
