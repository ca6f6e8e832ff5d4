import { type MfaProblem, problem } from "@mfa-kit/protocol";
import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { MfaError } from "./index";
import { client } from "./test/adapters";
import { FakeApi, ORIGIN, TOTP_FACTOR } from "./test/fakeApi";
import { useServer } from "./test/server";

const server = useServer();

describe("mfa.api", () => {
  it("calls the reference routes with JSON bodies and returns their answers", async () => {
    const api = new FakeApi(server);
    const bodies: unknown[] = [];
    const record = (answer: unknown, status = 200) =>
      (async ({ request }: { request: Request }) => {
        api.primary(request);
        bodies.push(
          request.method === "GET" || request.method === "DELETE"
            ? null
            : await request.json().catch(() => null),
        );
        return status === 204
          ? new HttpResponse(null, { status })
          : HttpResponse.json(answer as never, { status });
      }) as never;
    server.use(
      http.post(
        `${ORIGIN}/mfa/totp/enroll`,
        record({ factorId: "f1", secret: "JBSWY3DPEHPK3PXP", otpauthUri: "otpauth://totp/x" }),
      ),
      http.post(`${ORIGIN}/mfa/contact/enroll`, record({ factorId: "f2" })),
      http.post(
        `${ORIGIN}/mfa/factors/f1/activate`,
        record({ factor: TOTP_FACTOR, backupCodes: ["a"] }),
      ),
      http.post(`${ORIGIN}/mfa/webauthn/registration/options`, record({ challenge: "c" })),
      http.post(`${ORIGIN}/mfa/webauthn/registration/verify`, record({ factor: TOTP_FACTOR })),
      http.post(`${ORIGIN}/mfa/challenge`, record({ challengeId: "ch", expiresAt: 1 })),
      http.post(`${ORIGIN}/mfa/signout`, record(null, 204)),
      http.patch(
        `${ORIGIN}/mfa/factors/f1`,
        record({ factor: { ...TOTP_FACTOR, label: "Work phone" } }),
      ),
    );
    const mfa = client();
    expect(await mfa.api.enrollTotp({ label: "me" })).toMatchObject({ factorId: "f1" });
    expect(await mfa.api.enrollContact({ channel: "sms", to: "+15550000000" })).toEqual({
      factorId: "f2",
    });
    expect(await mfa.api.activateFactor("f1", "123456")).toMatchObject({ backupCodes: ["a"] });
    expect(await mfa.api.webauthnRegistrationOptions()).toEqual({ challenge: "c" });
    expect(await mfa.api.verifyWebauthnRegistration({ response: { id: "x" } })).toMatchObject({
      factor: {},
    });
    expect(await mfa.api.listFactors()).toEqual({
      factors: [TOTP_FACTOR],
      backupCodesRemaining: 5,
    });
    expect(await mfa.api.startChallenge("f1")).toEqual({ challengeId: "ch", expiresAt: 1 });
    expect(await mfa.api.renameFactor("f1", "Work phone")).toMatchObject({
      factor: { label: "Work phone" },
    });
    await mfa.api.signOut();
    expect(bodies).toEqual([
      { label: "me" },
      { channel: "sms", to: "+15550000000" },
      { code: "123456" },
      null,
      { response: { id: "x" } },
      { factorId: "f1" },
      { label: "Work phone" },
      null,
    ]);
    expect(api.seen.every((s) => s.headers.get("authorization") === "Bearer t1")).toBe(true);
  });

  it("removes a factor through a step-up the engine handles", async () => {
    const api = new FakeApi(server);
    server.use(
      http.delete(`${ORIGIN}/mfa/factors/:id`, ({ request }) => {
        const session = api.sessions.get(request.headers.get("x-session-token") ?? "");
        return session
          ? new HttpResponse(null, { status: 204 })
          : api.challenge("step_up_required", 300);
      }),
    );
    const onChallenge = vi.fn(async () => ({ code: "123456" }));
    const mfa = client({ onChallenge });
    await expect(mfa.api.removeFactor("f-totp")).resolves.toBeUndefined();
    expect(onChallenge).toHaveBeenCalledTimes(1);
  });

  it("rejects with INVALID_CODE for a wrong activation code and HTTP for other failures", async () => {
    new FakeApi(server);
    server.use(
      http.post(`${ORIGIN}/mfa/factors/:id/activate`, () =>
        HttpResponse.json(problem("invalid_code", { attemptsLeft: 2 }), { status: 400 }),
      ),
      http.post(`${ORIGIN}/mfa/backup-codes/regenerate`, () =>
        HttpResponse.json(problem("invalid_request", { detail: "nope" }), { status: 400 }),
      ),
    );
    const mfa = client();
    const wrong = await mfa.api.activateFactor("f1", "000000").catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(MfaError);
    expect(wrong).toMatchObject({ code: "INVALID_CODE", status: 400, attemptsLeft: 2 });
    const other = await mfa.api.regenerateBackupCodes().catch((e: unknown) => e);
    expect(other).toMatchObject({ code: "HTTP", status: 400, problem: { detail: "nope" } });
  });

  it("carries the problem's hint, behindS and clockSide on the MfaError of a wrong code", async () => {
    new FakeApi(server);
    const answers: Partial<MfaProblem>[] = [
      { hint: "authenticator_clock_behind", behindS: 180, clockSide: "client" },
      { hint: "algorithm_mismatch" },
    ];
    server.use(
      http.post(`${ORIGIN}/mfa/factors/:id/activate`, () =>
        HttpResponse.json(problem("invalid_code", { attemptsLeft: 2, ...answers.shift() }), {
          status: 400,
        }),
      ),
    );
    const mfa = client();
    const late = await mfa.api.activateFactor("f1", "000000").catch((e: unknown) => e);
    expect(late).toMatchObject({
      code: "INVALID_CODE",
      attemptsLeft: 2,
      hint: "authenticator_clock_behind",
      behindS: 180,
      clockSide: "client",
    });
    const other = (await mfa.api
      .activateFactor("f1", "000000")
      .catch((e: unknown) => e)) as MfaError;
    expect(other.hint).toBe("algorithm_mismatch");
    expect(other.behindS).toBeUndefined();
    expect(other.clockSide).toBeUndefined();
  });

  // Regression: an outage and a failed delivery were answered `rate_limited`, read as a lock; a
  // 503 `service_unavailable` then fell to the generic HTTP code.
  it("tells an outage and a failed delivery apart from a lock", async () => {
    new FakeApi(server);
    server.use(
      http.post(`${ORIGIN}/mfa/challenge`, () =>
        HttpResponse.json(problem("delivery_failed"), { status: 502 }),
      ),
      http.post(`${ORIGIN}/mfa/factors/:id/activate`, () =>
        HttpResponse.json(problem("service_unavailable", { retryAfter: 7 }), {
          status: 503,
          headers: { "retry-after": "5" },
        }),
      ),
      http.post(`${ORIGIN}/mfa/backup-codes/regenerate`, () =>
        HttpResponse.json(problem("internal_error"), { status: 500 }),
      ),
    );
    const mfa = client({ retry: false });
    const sent = await mfa.api.startChallenge("f-sms").catch((e: unknown) => e);
    expect(sent).toBeInstanceOf(MfaError);
    expect(sent).toMatchObject({ code: "DELIVERY_FAILED", status: 502, retryAfterMs: undefined });
    const down = await mfa.api.activateFactor("f1", "123456").catch((e: unknown) => e);
    expect(down).toMatchObject({ code: "SERVICE_UNAVAILABLE", status: 503, retryAfterMs: 5_000 });
    const fault = await mfa.api.regenerateBackupCodes().catch((e: unknown) => e);
    expect(fault).toMatchObject({ code: "SERVICE_UNAVAILABLE", status: 500 });
    expect(mfa.getSnapshot().status).not.toBe("locked");
  });

  it("retries a 503 service_unavailable after its Retry-After, within the retry window", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const api = new FakeApi(server);
      const times: number[] = [];
      server.use(
        http.get(`${ORIGIN}/mfa/factors`, () => {
          times.push(Date.now());
          return times.length < 3
            ? HttpResponse.json(problem("service_unavailable", { retryAfter: 2 }), {
                status: 503,
                headers: { "retry-after": "2" },
              })
            : api.json({ factors: [TOTP_FACTOR], backupCodesRemaining: 5 });
        }),
      );
      const mfa = client({ retry: { baseDelayMs: 1 } });
      const listed = mfa.api.listFactors();
      await vi.advanceTimersByTimeAsync(4_000);
      expect(await listed).toEqual({ factors: [TOTP_FACTOR], backupCodesRemaining: 5 });
      expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([2_000, 2_000]);

      // Past the retry window, the retryer gives up rather than waiting on.
      const late = client({ retry: { windowMs: 1_000 } });
      times.length = 0;
      const error = await late.api.listFactors().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "RETRY_EXHAUSTED", status: 503, retryAfterMs: 2_000 });
      expect(times).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("forgets the session on signOut even when the call fails", async () => {
    new FakeApi(server);
    server.use(http.post(`${ORIGIN}/mfa/signout`, () => HttpResponse.error()));
    const mfa = client({ onChallenge: async () => ({ code: "123456" }) });
    await mfa.stepUp();
    await expect(mfa.api.signOut()).rejects.toMatchObject({ code: "NETWORK" });
    expect(mfa.getSnapshot().session).toBeNull();
  });
});
