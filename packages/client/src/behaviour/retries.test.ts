import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import { delay, HttpResponse, http } from "msw";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MfaError, type MfaEvent } from "../index";
import { adapterCases, client } from "../test/adapters";
import { FakeApi, ORIGIN } from "../test/fakeApi";
import { useServer } from "../test/server";

const server = useServer();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
  vi.spyOn(Math, "random").mockReturnValue(0.5);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Lets the fake clock run until `promise` settles (or `maxMs` passes). */
async function settle<T>(
  promise: Promise<T>,
  maxMs = 3_600_000,
  stepMs = 100,
): Promise<PromiseSettledResult<T>> {
  let result: PromiseSettledResult<T> | undefined;
  promise.then(
    (value) => {
      result = { status: "fulfilled", value };
    },
    (reason) => {
      result = { status: "rejected", reason };
    },
  );
  for (let t = 0; !result && t < maxMs; t += stepMs) await vi.advanceTimersByTimeAsync(stepMs);
  if (!result) throw new Error("still pending");
  return result;
}

const value = <T>(r: PromiseSettledResult<T>) => {
  if (r.status === "rejected") throw r.reason;
  return r.value;
};
const reason = (r: PromiseSettledResult<unknown>) => (r as PromiseRejectedResult).reason;

describe.each(adapterCases)("retries ($name)", ({ send }) => {
  it("retries a GET after 503s with exponential backoff and full jitter, then succeeds", async () => {
    const api = new FakeApi(server);
    const times: number[] = [];
    server.use(
      http.get(`${ORIGIN}/flaky`, () => {
        times.push(Date.now());
        return times.length < 3 ? api.json({ title: "busy" }, 503) : api.json({ ok: true });
      }),
    );
    const events: MfaEvent[] = [];
    const res = value(await settle(send(client({ onEvent: (e) => events.push(e) }), "/flaky")));
    expect(res).toEqual({ status: 200, body: { ok: true } });
    // random() = 0.5: half of 500 ms, then half of 1 s.
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([250, 500]);
    expect(events.filter((e) => e.type === "request.retry")).toMatchObject([
      {
        attempt: 1,
        delayMs: 250,
        reason: "status",
        status: 503,
        method: "GET",
        url: `${ORIGIN}/flaky`,
      },
      { attempt: 2, delayMs: 500, reason: "status", status: 503 },
    ]);
  });

  it("waits at least until a Retry-After HTTP-date, read on the server's clock", async () => {
    const api = new FakeApi(server);
    api.skewMs = 5 * 60_000;
    const times: number[] = [];
    server.use(
      http.get(`${ORIGIN}/limited`, () => {
        times.push(Date.now());
        if (times.length > 1) return api.json({ ok: true });
        const at = new Date(api.now() + 120_000).toUTCString();
        return api.json({ title: "slow down" }, 429, { "retry-after": at });
      }),
    );
    const events: MfaEvent[] = [];
    const mfa = client({ onEvent: (e) => events.push(e) });
    const pending = send(mfa, "/limited");
    await vi.advanceTimersByTimeAsync(119_000);
    expect(times).toHaveLength(1);
    expect(mfa.getSnapshot().rateLimitedUntil).toBe(times[0]! + 120_000);
    expect(value(await settle(pending))).toEqual({ status: 200, body: { ok: true } });
    expect(times[1]! - times[0]!).toBe(120_000);
    expect(events).toContainEqual({ type: "ratelimit.wait", untilMs: times[0]! + 120_000 });
    expect(mfa.getSnapshot().rateLimitedUntil).toBeNull();
  });

  // Regression: rateLimitedUntil stayed set until some later response came in.
  it("stops showing rateLimitedUntil when the wait is over, even when nothing is sent again", async () => {
    const api = new FakeApi(server);
    server.use(
      http.get(`${ORIGIN}/limited`, () =>
        api.json({ title: "slow down" }, 429, { "retry-after": "30" }),
      ),
    );
    const mfa = client();
    const seen: (number | null)[] = [null];
    mfa.subscribe(({ rateLimitedUntil }) => {
      if (rateLimitedUntil !== seen.at(-1)) seen.push(rateLimitedUntil);
    });
    const ac = new AbortController();
    const pending = send(mfa, "/limited", { signal: ac.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    const until = mfa.getSnapshot().rateLimitedUntil!;
    expect(until - Date.now()).toBeGreaterThan(29_000);
    ac.abort(); // the caller gives up: no response will ever come to clear it
    expect(await pending).toMatchObject({ code: "ABORTED" });
    await vi.advanceTimersByTimeAsync(until - Date.now() - 1);
    expect(mfa.getSnapshot().rateLimitedUntil).toBe(until);
    await vi.advanceTimersByTimeAsync(1);
    expect(mfa.getSnapshot().rateLimitedUntil).toBeNull();
    expect(seen).toEqual([null, until, null]);
  });

  it("does not retry a POST without an idempotency key after a network error", async () => {
    let calls = 0;
    server.use(
      http.post(`${ORIGIN}/orders`, () => {
        calls++;
        return HttpResponse.error();
      }),
    );
    const r = await settle(send(client(), "/orders", { method: "POST", body: { item: 1 } }));
    expect(reason(r)).toBeInstanceOf(MfaError);
    expect(reason(r).code).toBe("NETWORK");
    expect(calls).toBe(1);
  });

  it("retries a POST with an idempotency key after a network error, with the same key", async () => {
    const keys: (string | null)[] = [];
    server.use(
      http.post(`${ORIGIN}/orders`, ({ request }) => {
        keys.push(request.headers.get("idempotency-key"));
        return keys.length === 1 ? HttpResponse.error() : HttpResponse.json({ created: true });
      }),
    );
    const mfa = client({ idempotencyKeys: true });
    const res = value(await settle(send(mfa, "/orders", { method: "POST", body: { item: 1 } })));
    expect(res).toEqual({ status: 200, body: { created: true } });
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it("retries a POST that carries its own Idempotency-Key, keeping it", async () => {
    const keys: (string | null)[] = [];
    server.use(
      http.post(`${ORIGIN}/orders`, ({ request }) => {
        keys.push(request.headers.get("idempotency-key"));
        return keys.length === 1
          ? new HttpResponse(null, { status: 502 })
          : HttpResponse.json({ ok: 1 });
      }),
    );
    const init = { method: "POST", body: {}, headers: { "Idempotency-Key": "mine-1" } };
    expect(value(await settle(send(client(), "/orders", init))).status).toBe(200);
    expect(keys).toEqual(["mine-1", "mine-1"]);
  });

  it("keeps the same Idempotency-Key through a token refresh, a step-up and a retry", async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    const keys: (string | null)[] = [];
    server.use(
      http.post(`${ORIGIN}/data/mfa/orders`, ({ request }) => {
        keys.push(request.headers.get("idempotency-key"));
        if (keys.length === 3) return new HttpResponse(null, { status: 503 });
        return undefined; // on to the fake API: token check, then session check
      }),
    );
    const mfa = client({
      idempotencyKeys: true,
      refreshAccessToken: async () => "t2",
      onChallenge: async () => ({ code: "123456" }),
    });
    const res = value(await settle(send(mfa, "/data/mfa/orders", { method: "POST", body: {} })));
    expect(res.status).toBe(200);
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(1);
  });

  it("gives up with RETRY_EXHAUSTED carrying the attempts and the last response", async () => {
    const api = new FakeApi(server);
    server.use(http.get(`${ORIGIN}/down`, () => api.json({ title: "down" }, 503)));
    const r = await settle(send(client({ retry: { retries: 2 } }), "/down"));
    const error = reason(r);
    expect(error).toBeInstanceOf(MfaError);
    expect(error).toMatchObject({ code: "RETRY_EXHAUSTED", attempts: 3, status: 503 });
    expect((error.response as { status: number }).status).toBe(503);
  });

  it("honours a Retry-After only up to maxRetryAfterMs", async () => {
    const api = new FakeApi(server);
    let calls = 0;
    server.use(
      http.get(`${ORIGIN}/later`, () => {
        calls++;
        return api.json({ title: "later" }, 503, { "retry-after": "3600" });
      }),
    );
    const r = await settle(send(client({ retry: { maxRetryAfterMs: 60_000 } }), "/later"), 1000);
    expect(reason(r)).toMatchObject({
      code: "RETRY_EXHAUSTED",
      attempts: 1,
      retryAfterMs: 3_600_000,
    });
    expect(calls).toBe(1);
  });

  it("retries nothing once windowMs has passed since the first attempt", async () => {
    const api = new FakeApi(server);
    const times: number[] = [];
    server.use(
      http.get(`${ORIGIN}/slowly`, () => {
        times.push(Date.now());
        return api.json({ title: "busy" }, 503, { "retry-after": "40" });
      }),
    );
    const r = await settle(send(client({ retry: { windowMs: 100_000, retries: 10 } }), "/slowly"));
    expect(reason(r)).toMatchObject({ code: "RETRY_EXHAUSTED", attempts: 3 });
    expect(times.map((t) => t - times[0]!)).toEqual([0, 40_000, 80_000]);
  });

  it("rejects the windowMs option beyond 4 hours", () => {
    expect(() => client({ retry: { windowMs: 5 * 3_600_000 } })).toThrow(MfaOptionError);
    expect(() => client({ retry: { windowMs: 5 * 3_600_000 } })).toThrow(
      expect.objectContaining({ option: "retry.windowMs" }),
    );
    expect(() => client({ timeoutMs: 60_000 })).toThrow(
      expect.objectContaining({ name: "MfaOptionError", option: "timeoutMs" }),
    );
  });

  it("cancels a backoff wait at once when the signal aborts", async () => {
    const api = new FakeApi(server);
    let calls = 0;
    server.use(
      http.get(`${ORIGIN}/wait`, () => {
        calls++;
        return api.json({ title: "busy" }, 503, { "retry-after": "60" });
      }),
    );
    const ac = new AbortController();
    const pending = send(client(), "/wait", { signal: ac.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(calls).toBe(1));
    await vi.advanceTimersByTimeAsync(10);
    ac.abort();
    const error = await pending;
    expect(error).toMatchObject({ code: "ABORTED" });
    expect(calls).toBe(1);
  });

  it("times out after timeoutMs and retries a GET, but not a POST", async () => {
    let calls = 0;
    server.use(
      http.all(`${ORIGIN}/hang`, async ({ request }) => {
        calls++;
        if (calls === 1 || request.method === "POST") await delay(60_000);
        return HttpResponse.json({ ok: true });
      }),
    );
    const mfa = client({ timeoutMs: 10_000 });
    expect(value(await settle(send(mfa, "/hang")))).toEqual({ status: 200, body: { ok: true } });
    expect(calls).toBe(2);
    const r = await settle(send(mfa, "/hang", { method: "POST", body: {} }));
    expect(reason(r)).toMatchObject({ code: "TIMEOUT" });
    expect(calls).toBe(3);
  });

  it("hands a non-retryable error status on unchanged", async () => {
    const api = new FakeApi(server);
    server.use(http.get(`${ORIGIN}/missing`, () => api.json({ title: "nope" }, 404)));
    expect(value(await settle(send(client(), "/missing")))).toMatchObject({ status: 404 });
  });
});
