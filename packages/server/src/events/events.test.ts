import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { testKit, totpCode, userWithTotp } from "../testing/fixtures";
import { createEventBus } from "./eventBus";
import type { MfaEvent } from "./types";

const event = (n: number): MfaEvent => ({
  type: "factor.removed",
  id: `e${n}`,
  at: n,
  userId: "alice",
  factorId: "f1",
  factorType: "totp",
});

describe("event delivery", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands events to the listener on a later macrotask, in order", async () => {
    const seen: string[] = [];
    const bus = createEventBus((e) => void seen.push(e.id), 5000);
    bus.emit(event(1));
    bus.emit(event(2));
    await Promise.resolve();
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(["e1", "e2"]);
  });

  it("reports a throwing listener and carries on with the next event", async () => {
    const errors: unknown[] = [];
    const seen: string[] = [];
    const bus = createEventBus(
      (e) => {
        if (e.id === "e1") throw new Error("boom");
        seen.push(e.id);
      },
      5000,
      (error) => errors.push(error),
    );
    bus.emit(event(1));
    bus.emit(event(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(["e2"]);
    expect(errors).toEqual([new Error("boom")]);
  });

  it("stops waiting for a listener that hangs after 5 s and reports it", async () => {
    const errors: string[] = [];
    const seen: string[] = [];
    const bus = createEventBus(
      (e) => {
        seen.push(e.id);
        return new Promise(() => {});
      },
      5000,
      (error, e) => errors.push(`${e.id}: ${(error as Error).message}`),
    );
    bus.emit(event(1));
    bus.emit(event(2));
    await vi.advanceTimersByTimeAsync(0);
    // The second event is delivered although the first listener call never settles.
    expect(seen).toEqual(["e1", "e2"]);
    let flushed = false;
    void bus.flush().then(() => {
      flushed = true;
    });
    await vi.advanceTimersByTimeAsync(4999);
    expect(flushed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(flushed).toBe(true);
    expect(errors).toEqual([
      "e1: listener did not settle within 5000 ms",
      "e2: listener did not settle within 5000 ms",
    ]);
  });

  it("reports a rejecting listener", async () => {
    const errors: unknown[] = [];
    const bus = createEventBus(
      () => Promise.reject(new Error("smtp down")),
      5000,
      (error) => errors.push(error),
    );
    bus.emit(event(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual([new Error("smtp down")]);
  });

  it("never lets a listener slow down or break a verification", async () => {
    const errors: unknown[] = [];
    const kit = testKit({
      onEvent: (e) => {
        if (e.type === "mfa.verified") throw new Error("listener bug");
        return new Promise(() => {});
      },
      onEventError: (error) => errors.push(error),
    });
    const { secret } = await userWithTotp(kit);
    const result = await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) });
    expect(result.ok).toBe(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(errors).toHaveLength(2); // factor.enrolled hung, mfa.verified threw
  });
});

describe("events", () => {
  it("carry no secret, code, token or device id", async () => {
    const kit = testKit();
    const { secret, backupCodes, factorId } = await userWithTotp(kit);
    const context = {
      ip: "203.0.113.7",
      country: "DE",
      deviceId: "device-cookie-123",
      userAgent: "UA",
    };
    const codes = [totpCode(secret, kit.clock.now), "000000"];
    const tokens: string[] = [];
    for (const code of codes) {
      const r = await kit.mfa.verify({ userId: "alice", code, context });
      if (r.ok) tokens.push(r.session.token);
    }
    const r2 = await kit.mfa.verify({ userId: "alice", backupCode: backupCodes[0]!, context });
    if (r2.ok) tokens.push(r2.session.token);
    const sms = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15551234567" });
    await kit.mfa.removeFactor("alice", factorId);
    await kit.mfa.flushEvents();
    expect(sms.ok).toBe(true);
    // String leaves only: a 6-digit code could otherwise match inside a timestamp.
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === "string") strings.push(v);
      else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
    };
    walk(kit.events);
    const all = strings.join("\n");
    for (const needle of [
      secret,
      ...codes,
      ...backupCodes,
      ...tokens,
      "device-cookie-123",
      kit.sent[0]!.code,
      "5551234567",
    ]) {
      expect(all).not.toContain(needle);
    }
    expect(new Set(kit.events.map((e) => e.type))).toEqual(
      new Set([
        "factor.enrolled",
        "mfa.verified",
        "mfa.failed",
        "backup_code.used",
        "factor.removed",
      ]),
    );
  });
});
