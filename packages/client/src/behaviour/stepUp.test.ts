import type { FactorSummary } from "@mfa-kit/protocol";
import { problem } from "@mfa-kit/protocol";
import { formatStepUpChallenge } from "@mfa-kit/protocol/format";
import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { type ChallengeHandler, MfaError, type MfaEvent, type PendingChallenge } from "../index";
import { adapterCases, client } from "../test/adapters";
import { FakeApi, ORIGIN, TOTP_FACTOR } from "../test/fakeApi";
import { useServer } from "../test/server";

const server = useServer();
const answer: ChallengeHandler = async () => ({ factorId: "f-totp", code: "123456" });

describe.each(adapterCases)("step-up ($name)", ({ send }) => {
  it("opens one challenge for 100 concurrent calls: one onChallenge, one verify, 100 successes", async () => {
    const api = new FakeApi(server);
    const onChallenge = vi.fn(answer);
    const mfa = client({ onChallenge });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => send(mfa, `/data/mfa/${i}`)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(100);
    expect(onChallenge).toHaveBeenCalledTimes(1);
    expect(api.verifyBodies).toEqual([{ factorId: "f-totp", code: "123456" }]);
    const [challenge, context] = onChallenge.mock.calls[0]!;
    expect(challenge).toMatchObject({
      challenge: { acrValues: ["mfa"] },
      factors: [TOTP_FACTOR],
      backupCodes: true,
      attempt: 1,
      lastError: null,
    });
    expect(challenge.waiting).toBeGreaterThan(0);
    expect(context).toMatchObject({ attempt: 1, lastError: null });
    expect(context.signal).toBeInstanceOf(AbortSignal);
  });

  it("stores the verify answer's token and expiry, and shows the session without its token", async () => {
    const api = new FakeApi(server);
    const mfa = client({ onChallenge: answer });
    await send(mfa, "/data/mfa/one");
    const issued = [...api.sessions.values()][0]!;
    expect(mfa.getSnapshot()).toMatchObject({
      status: "idle",
      pendingChallenge: null,
      session: { expiresAt: issued.expiresAt, authTime: issued.authTime, acr: "mfa", amr: ["otp"] },
    });
    expect(JSON.stringify(mfa.getSnapshot())).not.toContain(issued.token);
  });

  it("steps up on a problem+json of type mfa_required even without a challenge header", async () => {
    let calls = 0;
    server.use(
      http.get(`${ORIGIN}/bare`, ({ request }) =>
        request.headers.get("x-session-token")
          ? HttpResponse.json({ ok: true })
          : HttpResponse.json(problem("mfa_required", { factors: [TOTP_FACTOR] }), { status: 401 }),
      ),
    );
    new FakeApi(server);
    const res = await send(
      client({
        onChallenge: async () => {
          calls++;
          return { code: "123456" };
        },
      }),
      "/bare",
    );
    expect(res).toEqual({ status: 200, body: { ok: true } });
    expect(calls).toBe(1);
  });

  it("asks again with lastError and attemptsLeft after an invalid code, then succeeds", async () => {
    const api = new FakeApi(server);
    const onChallenge = vi.fn<ChallengeHandler>(async (_, { attempt }) => ({
      code: attempt === 1 ? "000000" : "123456",
    }));
    const res = await send(client({ onChallenge }), "/data/mfa/one");
    expect(res.status).toBe(200);
    expect(onChallenge).toHaveBeenCalledTimes(2);
    const [challenge, context] = onChallenge.mock.calls[1]!;
    expect(context.lastError).toBeInstanceOf(MfaError);
    expect(context.lastError).toMatchObject({ code: "INVALID_CODE", status: 400, attemptsLeft: 2 });
    expect(challenge).toMatchObject({ attempt: 2, attemptsLeft: 2 });
    expect(api.verifyBodies).toHaveLength(2);
  });

  // APIs other than the reference one answer a wrong code with 422 (or 404 for an unknown factor):
  // the challenge stays open and the user is asked again, as after the reference API's 400.
  it("asks again with lastError after a 422 answer to the verification", async () => {
    const api = new FakeApi(server);
    let verifies = 0;
    server.use(
      http.post(`${ORIGIN}/mfa/verify`, async ({ request }) => {
        if (verifies++ > 0) return undefined;
        await request.json();
        return api.json(problem("invalid_code", { status: 422, attemptsLeft: 4 }), 422);
      }),
    );
    const onChallenge = vi.fn<ChallengeHandler>(answer);
    const res = await send(client({ onChallenge }), "/data/mfa/one");
    expect(res.status).toBe(200);
    expect(onChallenge).toHaveBeenCalledTimes(2);
    expect(onChallenge.mock.calls[1]![1].lastError).toMatchObject({
      code: "INVALID_CODE",
      status: 422,
      attemptsLeft: 4,
    });
  });

  it("asks again with the new factors when a right answer needs an additional factor, without a token refresh", async () => {
    const api = new FakeApi(server);
    const sms: FactorSummary = { id: "f-sms", type: "sms", status: "active", createdAt: 0 };
    api.additionalFactors = [sms]; // the user signs in from another country
    const refreshAccessToken = vi.fn(async () => "t1");
    let shown: PendingChallenge | null = null;
    const mfa = client({ refreshAccessToken });
    const onChallenge = vi.fn<ChallengeHandler>(async (challenge) => {
      shown = mfa.getSnapshot().pendingChallenge;
      return { factorId: challenge.factors[0]!.id, code: "123456" };
    });
    mfa.setChallengeHandler(onChallenge);
    const res = await send(mfa, "/data/mfa/one");
    expect(res.status).toBe(200);
    expect(onChallenge).toHaveBeenCalledTimes(2);
    const [again, context] = onChallenge.mock.calls[1]!;
    expect(context.lastError).toBeInstanceOf(MfaError);
    expect(context.lastError).toMatchObject({ code: "ADDITIONAL_FACTOR_REQUIRED", status: 401 });
    expect(again).toMatchObject({
      attempt: 2,
      factors: [sms],
      backupCodes: false,
      lastError: { code: "ADDITIONAL_FACTOR_REQUIRED" },
    });
    // What a UI reads from the snapshot while it asks: the new factors and why.
    expect(shown).toMatchObject({
      factors: [sms],
      lastError: { code: "ADDITIONAL_FACTOR_REQUIRED" },
    });
    expect(api.verifyBodies).toEqual([
      { factorId: "f-totp", code: "123456" },
      { factorId: "f-sms", code: "123456" },
    ]);
    expect(refreshAccessToken).not.toHaveBeenCalled();
    expect(mfa.getSnapshot()).toMatchObject({ status: "idle", pendingChallenge: null });
  });

  it("keeps the challenge pending through a lock, surfaces retryAfterMs, and asks again", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const api = new FakeApi(server);
      api.attemptsBeforeLock = 0;
      const snapshots: string[] = [];
      const seen: { code?: string; retryAfterMs?: number; lockedUntil?: number }[] = [];
      const mfa = client({
        onChallenge: async (challenge, { lastError }) => {
          seen.push({
            code: lastError?.code,
            retryAfterMs: challenge.retryAfterMs,
            lockedUntil: challenge.lockedUntil,
          });
          if (lastError?.code === "LOCKED") api.attemptsBeforeLock = 3; // the lock is over
          return { code: "123456" };
        },
      });
      mfa.subscribe((s) => snapshots.push(s.status));
      const res = await send(mfa, "/data/mfa/one");
      expect(res.status).toBe(200);
      expect(seen).toEqual([
        { code: undefined, retryAfterMs: undefined, lockedUntil: undefined },
        { code: "LOCKED", retryAfterMs: 30_000, lockedUntil: Date.now() + 30_000 },
      ]);
      expect(snapshots).toContain("locked");
      expect(snapshots.at(-1)).toBe("idle");
    } finally {
      vi.useRealTimers();
    }
  });

  // Regression: a store outage or a failed delivery answered the verification as `rate_limited`
  // (read as LOCKED), and the user was told to wait out a lock that did not exist.
  it("asks again at once after an outage or a failed delivery, with no lock", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const api = new FakeApi(server);
      const faults = [
        () =>
          api.json(problem("service_unavailable", { retryAfter: 3 }), 503, { "retry-after": "3" }),
        () => api.json(problem("delivery_failed"), 502),
        () => api.json(problem("internal_error"), 500),
      ];
      server.use(
        http.post(`${ORIGIN}/mfa/verify`, async ({ request }) => {
          const fault = faults.shift();
          if (!fault) return undefined;
          await request.json();
          return fault();
        }),
      );
      const seen: unknown[] = [];
      const snapshots: string[] = [];
      const mfa = client({
        idempotencyKeys: true,
        onChallenge: async (challenge, { lastError }) => {
          seen.push({
            code: lastError?.code,
            retryAfterMs: lastError?.retryAfterMs,
            lockedUntil: challenge.lockedUntil,
          });
          return { factorId: "f-totp", code: "123456" };
        },
      });
      mfa.subscribe((s) => snapshots.push(s.status));
      const res = await send(mfa, "/data/mfa/one");
      expect(res.status).toBe(200);
      expect(seen).toEqual([
        { code: undefined, retryAfterMs: undefined, lockedUntil: undefined },
        { code: "SERVICE_UNAVAILABLE", retryAfterMs: 3_000, lockedUntil: undefined },
        { code: "DELIVERY_FAILED", retryAfterMs: undefined, lockedUntil: undefined },
        { code: "SERVICE_UNAVAILABLE", retryAfterMs: undefined, lockedUntil: undefined },
      ]);
      expect(snapshots).not.toContain("locked");
      expect(api.verifyBodies).toHaveLength(1); // only the last verification reached the fake API
    } finally {
      vi.useRealTimers();
    }
  });

  // Regression: with idempotencyKeys on, the engine's own verify POST got a key, so a 429 `locked`
  // answer was retried after Retry-After with the same wrong code, extending the lock.
  it("hands a locked verify to the challenge handler instead of retrying it, with idempotencyKeys on", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const api = new FakeApi(server);
      api.attemptsBeforeLock = 0;
      const errors: (string | undefined)[] = [];
      const mfa = client({
        idempotencyKeys: true,
        onChallenge: async (_challenge, { lastError }) => {
          errors.push(lastError?.code);
          if (lastError?.code === "LOCKED") api.attemptsBeforeLock = 3; // the user waited it out
          return { factorId: "f-totp", code: "123456" };
        },
      });
      const res = await send(mfa, "/data/mfa/one");
      expect(res.status).toBe(200);
      expect(errors).toEqual([undefined, "LOCKED"]);
      expect(api.verifyBodies).toHaveLength(2); // one locked answer, one success: no retry
      const verifies = api.seen.filter((r) => r.url.endsWith("/mfa/verify"));
      expect(verifies.every((r) => !r.headers.has("idempotency-key"))).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  // Regression: the status stayed "locked" after the lock had ended.
  it("shows the challenge as open again when the lock ends", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const api = new FakeApi(server);
      api.attemptsBeforeLock = 0;
      const mfa = client({
        onChallenge: async (_, { lastError }) =>
          lastError ? new Promise(() => {}) : { code: "123456" }, // the user waits out the lock
      });
      const pending = send(mfa, "/data/mfa/one").catch((e: unknown) => e);
      await vi.waitFor(() => expect(mfa.getSnapshot().status).toBe("locked"));
      const { lockedUntil, retryAfterMs } = mfa.getSnapshot().pendingChallenge!;
      expect(retryAfterMs).toBe(30_000);
      // (vi.waitFor moves the fake clock on while it polls.)
      expect(lockedUntil! - Date.now()).toBeGreaterThan(29_000);
      await vi.advanceTimersByTimeAsync(lockedUntil! - Date.now() - 1);
      expect(mfa.getSnapshot().status).toBe("locked");
      await vi.advanceTimersByTimeAsync(1);
      expect(mfa.getSnapshot().status).toBe("challenge");
      expect(mfa.getSnapshot().pendingChallenge).toMatchObject({
        lockedUntil: undefined,
        retryAfterMs: undefined,
        lastError: { code: "LOCKED" },
      });
      mfa.cancelChallenge();
      expect(await pending).toMatchObject({ code: "STEP_UP_CANCELLED" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("rejects every waiting request with STEP_UP_CANCELLED when the handler rejects", async () => {
    new FakeApi(server);
    const events: MfaEvent[] = [];
    const mfa = client({
      onChallenge: async () => Promise.reject(new Error("user closed the dialog")),
      onEvent: (e) => events.push(e),
    });
    const results = await Promise.allSettled([1, 2, 3].map((i) => send(mfa, `/data/mfa/${i}`)));
    for (const r of results) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        code: "STEP_UP_CANCELLED",
        cause: new Error("user closed the dialog"),
      });
    }
    expect(events.filter((e) => e.type === "stepup.cancelled")).toHaveLength(1);
    expect(mfa.getSnapshot()).toMatchObject({ pendingChallenge: null, status: "idle" });
  });

  it("rejects with STEP_UP_CANCELLED even when the handler gives up with an MfaError of its own", async () => {
    const api = new FakeApi(server);
    api.attemptsBeforeLock = 0;
    const mfa = client({
      onChallenge: async (_, { lastError }) => {
        if (lastError) throw lastError; // a headless handler that will not wait out the lock
        return { code: "123456" };
      },
    });
    const error = await send(mfa, "/data/mfa/one").catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "STEP_UP_CANCELLED",
      cause: { code: "LOCKED", retryAfterMs: 30_000 },
    });
  });

  it("rejects with STEP_UP_CANCELLED and aborts the handler's signal on cancelChallenge", async () => {
    new FakeApi(server);
    let signal: AbortSignal | undefined;
    const mfa = client({
      onChallenge: (_, context) => {
        signal = context.signal;
        return new Promise(() => {}); // a dialog nobody answers
      },
    });
    const pending = send(mfa, "/data/mfa/one");
    await vi.waitFor(() => expect(mfa.getSnapshot().pendingChallenge).not.toBeNull());
    expect(mfa.getSnapshot().status).toBe("challenge");
    mfa.cancelChallenge("closed");
    await expect(pending).rejects.toMatchObject({ code: "STEP_UP_CANCELLED", cause: "closed" });
    expect(signal?.aborted).toBe(true);
  });

  it("rejects with STEP_UP_REQUIRED carrying the parsed challenge when there is no handler", async () => {
    new FakeApi(server);
    const error = await send(client(), "/data/sensitive/x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MfaError);
    expect(error).toMatchObject({
      code: "STEP_UP_REQUIRED",
      status: 401,
      challenge: { acrValues: ["mfa"] },
      problem: { factors: [TOTP_FACTOR] },
    });
  });

  it("verifies afresh for max_age=0 even with a session, and does not loop when a fresh one is refused", async () => {
    const api = new FakeApi(server);
    let sensitiveCalls = 0;
    server.use(
      http.post(`${ORIGIN}/transfer`, ({ request }) => {
        sensitiveCalls++;
        const session = api.sessions.get(request.headers.get("x-session-token") ?? "");
        // Only a session verified for this very call is accepted: max_age=0.
        return session && session.token === `s${api.sessions.size}` && sensitiveCalls > 1
          ? HttpResponse.json({ sent: true })
          : api.challenge("step_up_required", 0);
      }),
    );
    const onChallenge = vi.fn(answer);
    const mfa = client({ onChallenge });
    await send(mfa, "/data/mfa/one");
    expect(onChallenge).toHaveBeenCalledTimes(1);
    expect((await send(mfa, "/transfer", { method: "POST", body: {} })).status).toBe(200);
    expect(onChallenge).toHaveBeenCalledTimes(2);

    // The API refuses even a fresh verification: one more prompt, then STEP_UP_FAILED, no loop.
    server.use(http.post(`${ORIGIN}/transfer`, () => api.challenge("step_up_required", 0)));
    await expect(send(mfa, "/transfer", { method: "POST", body: {} })).rejects.toMatchObject({
      code: "STEP_UP_FAILED",
    });
    expect(onChallenge).toHaveBeenCalledTimes(3);
  });

  it("fetches the factors from GET /mfa/factors when the challenge names none", async () => {
    const api = new FakeApi(server);
    server.use(
      http.get(`${ORIGIN}/terse`, ({ request }) =>
        request.headers.get("x-session-token")
          ? HttpResponse.json({ ok: true })
          : new HttpResponse(null, {
              status: 401,
              headers: { "www-authenticate": formatStepUpChallenge({ acrValues: ["mfa"] }) },
            }),
      ),
    );
    const onChallenge = vi.fn(answer);
    expect((await send(client({ onChallenge }), "/terse")).status).toBe(200);
    expect(api.factorLists).toBe(1);
    expect(onChallenge.mock.calls[0]![0]).toMatchObject({
      problem: null,
      factors: [TOTP_FACTOR],
      backupCodes: true,
    });
  });

  it("steps up again when the API rejects the stored session, without a loop", async () => {
    const api = new FakeApi(server);
    const onChallenge = vi.fn(answer);
    const mfa = client({ onChallenge });
    await send(mfa, "/data/mfa/one");
    api.sessions.clear(); // revoked on the server
    expect((await send(mfa, "/data/mfa/two")).status).toBe(200);
    expect(onChallenge).toHaveBeenCalledTimes(2);
    expect(api.sessions.size).toBe(1);
  });

  it("rejects a waiting request with ABORTED as soon as its signal aborts", async () => {
    new FakeApi(server);
    const mfa = client({ onChallenge: () => new Promise(() => {}) });
    const ac = new AbortController();
    const pending = send(mfa, "/data/mfa/one", { signal: ac.signal });
    await vi.waitFor(() => expect(mfa.getSnapshot().pendingChallenge?.waiting).toBe(1));
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
    // Nobody waits any more: the challenge is closed.
    await vi.waitFor(() => expect(mfa.getSnapshot().pendingChallenge).toBeNull());
  });
});
