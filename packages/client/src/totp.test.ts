import vectors from "@mfa-kit/test-utils/vectors/rfc6238-totp.json" with { type: "json" };
import { createGuardrails, generate } from "otplib";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type MfaClock, MfaError, type PendingChallenge } from "./index";
import { totpChallengeHandler } from "./totp";

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const guardrails = createGuardrails({ MIN_SECRET_BYTES: 10 });
const challenge = { attempt: 1, lastError: null } as PendingChallenge;
const signal = new AbortController().signal;
const ctx = { attempt: 1, lastError: null, signal };

/** A clock `offsetMs` ahead of the (fake) local one. */
const clockAhead = (offsetMs: number): { clock: MfaClock } => ({
  clock: { offsetMs, now: () => Date.now() + offsetMs },
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.setSystemTime(new Date("2030-01-01T00:00:10Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("totpChallengeHandler", () => {
  it("computes the RFC 6238 codes at the server's time", async () => {
    const seeds = vectors.seeds as Record<string, { base32: string }>;
    for (const v of vectors.vectors as { time: number; algorithm: string; totp8: string }[]) {
      vi.setSystemTime(0);
      const handler = totpChallengeHandler({
        otpauthUri: `otpauth://totp/x?secret=${seeds[v.algorithm]!.base32}&algorithm=${v.algorithm}&digits=8`,
        factorId: "f",
        client: clockAhead(v.time * 1000), // the local clock is at 0: only the server's time counts
      });
      expect(await handler(challenge, ctx)).toEqual({ factorId: "f", code: v.totp8 });
    }
  });

  it("accepts a secret with spaces, hyphens and lower case", async () => {
    const handler = totpChallengeHandler({
      secret: "jbsw y3dp-ehpk 3pxp",
      factorId: "f",
      client: clockAhead(0),
    });
    const expected = await generate({
      secret: "JBSWY3DPEHPK3PXP",
      epoch: Math.floor(Date.now() / 1000),
      guardrails,
    });
    expect(await handler(challenge, ctx)).toEqual({ factorId: "f", code: expected });
  });

  it("waits for the next time step instead of resending a code", async () => {
    const handler = totpChallengeHandler({ secret: SECRET, factorId: "f", client: clockAhead(0) });
    const first = await handler(challenge, ctx);
    let second: unknown;
    const pending = handler(challenge, { ...ctx, attempt: 2 }).then((a) => {
      second = a;
    });
    await vi.advanceTimersByTimeAsync(19_000);
    expect(second).toBeUndefined(); // still in the step of the first code (00:00:00–00:00:30)
    await vi.advanceTimersByTimeAsync(1_000);
    await pending;
    expect(second).not.toEqual(first);
    expect(second).toEqual({
      factorId: "f",
      code: await generate({ secret: SECRET, epoch: Math.floor(Date.now() / 1000) }),
    });
  });

  it("waits out a short lock, and gives up on a long one or after maxAttempts", async () => {
    const handler = totpChallengeHandler({
      secret: SECRET,
      factorId: "f",
      client: clockAhead(0),
      maxLockWaitMs: 60_000,
    });
    const locked = new MfaError("LOCKED", "Locked.", { retryAfterMs: 45_000 });
    let answered = false;
    const pending = handler(
      { ...challenge, lockedUntil: Date.now() + 45_000 },
      { ...ctx, attempt: 2, lastError: locked },
    ).then(() => {
      answered = true;
    });
    await vi.advanceTimersByTimeAsync(44_000);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    await pending;
    expect(answered).toBe(true);

    await expect(
      handler(
        { ...challenge, lockedUntil: Date.now() + 300_000 },
        { ...ctx, attempt: 3, lastError: locked },
      ),
    ).rejects.toBe(locked);
    await expect(handler(challenge, { ...ctx, attempt: 4, lastError: locked })).rejects.toBe(
      locked,
    );
  });

  it("stops waiting when the signal aborts", async () => {
    const handler = totpChallengeHandler({ secret: SECRET, factorId: "f", client: clockAhead(0) });
    await handler(challenge, ctx);
    const ac = new AbortController();
    const pending = handler(challenge, { ...ctx, attempt: 2, signal: ac.signal });
    ac.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
  });

  it("explains bad options", () => {
    const client = clockAhead(0);
    expect(() => totpChallengeHandler({ factorId: "f", client })).toThrow(/exactly one/);
    expect(() => totpChallengeHandler({ secret: "0000", factorId: "f", client })).toThrow(/base32/);
    expect(() => totpChallengeHandler({ secret: "JBSWY3DP", factorId: "f", client })).toThrow(
      /too short/,
    );
    expect(() => totpChallengeHandler({ otpauthUri: "https://x", factorId: "f", client })).toThrow(
      /otpauth/,
    );
    expect(() =>
      totpChallengeHandler({
        otpauthUri: `otpauth://totp/x?secret=${SECRET}&algorithm=MD5`,
        factorId: "f",
        client,
      }),
    ).toThrow(/algorithm/);
  });
});
