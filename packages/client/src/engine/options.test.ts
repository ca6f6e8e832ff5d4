import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "./options";
import { DEFAULT_RETRY } from "./retryPolicy";

describe("resolveOptions", () => {
  it("fills in the defaults", () => {
    const resolved = resolveOptions({});
    expect(resolved).toMatchObject({
      paths: {
        base: "/mfa",
        verify: "/mfa/verify",
        refreshSession: "/mfa/session/refresh",
        factors: "/mfa/factors",
      },
      refreshBeforeMs: 60_000,
      storageKey: "mfa-kit.session",
      tabs: false,
      retry: DEFAULT_RETRY,
      timeoutMs: 10_000,
    });
    expect(resolved.storage).toBeUndefined();
    expect(resolveOptions({ retry: false }).retry).toBeNull();
  });

  it("puts the routes under the base path, unless a path is given", () => {
    expect(resolveOptions({ paths: { base: "/auth/2fa", verify: "/v" } }).paths).toEqual({
      base: "/auth/2fa",
      verify: "/v",
      refreshSession: "/auth/2fa/session/refresh",
      factors: "/auth/2fa/factors",
    });
    expect(resolveOptions({ paths: { refreshSession: "/r", factors: "/f" } }).paths).toMatchObject({
      verify: "/mfa/verify",
      refreshSession: "/r",
      factors: "/f",
    });
  });

  it("shares the session between tabs by default with localStorage only", () => {
    expect(resolveOptions({ session: { storage: "localStorage" } }).tabs).toBe(true);
    expect(resolveOptions({ session: { storage: "sessionStorage" } }).tabs).toBe(false);
    expect(resolveOptions({ session: { storage: "localStorage" }, tabs: false }).tabs).toBe(false);
    expect(resolveOptions({ tabs: true }).tabs).toBe(true);
    expect(
      resolveOptions({
        session: { storage: "sessionStorage", storageKey: "k", refreshBeforeMs: 0 },
      }),
    ).toMatchObject({ storage: "sessionStorage", storageKey: "k", refreshBeforeMs: 0 });
  });

  it("merges retry options over the defaults", () => {
    expect(resolveOptions({ retry: { retries: 0, windowMs: 14_400_000 } }).retry).toEqual({
      ...DEFAULT_RETRY,
      retries: 0,
      windowMs: 14_400_000,
    });
  });

  it("takes each number at its bounds and names one past them", () => {
    expect(resolveOptions({ timeoutMs: 1 }).timeoutMs).toBe(1);
    expect(resolveOptions({ timeoutMs: 30_000 }).timeoutMs).toBe(30_000);
    expect(() => resolveOptions({ timeoutMs: 0 })).toThrow(
      new MfaOptionError("timeoutMs", "timeoutMs must be from 1 to 30000, not 0."),
    );
    expect(() => resolveOptions({ timeoutMs: 30_001 })).toThrow(
      new MfaOptionError("timeoutMs", "timeoutMs must be from 1 to 30000, not 30001."),
    );
    expect(() => resolveOptions({ timeoutMs: Number.NaN })).toThrow(MfaOptionError);
    expect(() => resolveOptions({ session: { refreshBeforeMs: -1 } })).toThrow(
      new MfaOptionError(
        "session.refreshBeforeMs",
        "session.refreshBeforeMs must be from 0 to 14400000, not -1.",
      ),
    );
    expect(resolveOptions({ session: { refreshBeforeMs: 14_400_000 } }).refreshBeforeMs).toBe(
      14_400_000,
    );
    expect(() => resolveOptions({ retry: { baseDelayMs: 14_400_001 } })).toThrow(
      new MfaOptionError(
        "retry.baseDelayMs",
        "retry.baseDelayMs must be from 0 to 14400000, not 14400001.",
      ),
    );
    expect(() => resolveOptions({ retry: { retries: -1 } })).toThrow(
      new MfaOptionError("retry.retries", "retry.retries must be from 0 to 14400000, not -1."),
    );
  });
});
