import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type ChallengeHandler,
  createMfaClient,
  type FailureHandler,
  type MfaClient,
  type MfaClientOptions,
  MfaError,
  type MfaEventListener,
  type MfaFetch,
  type MfaSessionInfo,
  type MfaSnapshot,
  type RetryOptions,
  type StorageLike,
} from "./index";

// Type tests of createMfaClient's options and the client it returns: `tsc` (npm run typecheck)
// fails when an option changes type or stops being optional, or when a bad option is accepted.

describe("createMfaClient options", () => {
  it("are all optional, and the client's type is MfaClient", () => {
    expectTypeOf(createMfaClient).parameter(0).toEqualTypeOf<MfaClientOptions | undefined>();
    expectTypeOf(createMfaClient).returns.toEqualTypeOf<MfaClient>();
    expectTypeOf<Record<string, never>>().toMatchTypeOf<MfaClientOptions>();
    expect(createMfaClient({ baseUrl: "https://api.example.com" }).getSnapshot().status).toBe(
      "idle",
    );
  });

  it("take tokens synchronously or as promises, and a refresh resolving the new token", () => {
    expectTypeOf<MfaClientOptions["getAccessToken"]>().toEqualTypeOf<
      (() => string | null | undefined | Promise<string | null | undefined>) | undefined
    >();
    expectTypeOf<MfaClientOptions["refreshAccessToken"]>().toEqualTypeOf<
      (() => Promise<string>) | undefined
    >();
    createMfaClient({ getAccessToken: () => "t" });
    createMfaClient({ getAccessToken: async () => null });
    // @ts-expect-error a refresh resolves the new token, not an object
    createMfaClient({ refreshAccessToken: async () => ({ token: "t" }) });
  });

  it("take a challenge handler, a failure handler, an event listener and a fetch", () => {
    expectTypeOf<MfaClientOptions["onChallenge"]>().toEqualTypeOf<
      ChallengeHandler | null | undefined
    >();
    expectTypeOf<MfaClientOptions["failureHandler"]>().toEqualTypeOf<FailureHandler | undefined>();
    expectTypeOf<MfaClientOptions["onEvent"]>().toEqualTypeOf<MfaEventListener | undefined>();
    expectTypeOf<MfaClientOptions["fetch"]>().toEqualTypeOf<typeof fetch | undefined>();
    expectTypeOf<Parameters<ChallengeHandler>[1]>().toEqualTypeOf<{
      attempt: number;
      lastError: import("./index").MfaError | null;
      signal: AbortSignal;
    }>();
    // @ts-expect-error a challenge handler answers with a promise
    createMfaClient({ onChallenge: () => ({ code: "123456" }) });
  });

  it("take a partial retry policy or false, and numbers for the timeout", () => {
    expectTypeOf<MfaClientOptions["retry"]>().toEqualTypeOf<
      Partial<RetryOptions> | false | undefined
    >();
    expectTypeOf<RetryOptions>().toEqualTypeOf<{
      retries: number;
      baseDelayMs: number;
      maxDelayMs: number;
      maxRetryAfterMs: number;
      windowMs: number;
    }>();
    expectTypeOf<MfaClientOptions["timeoutMs"]>().toEqualTypeOf<number | undefined>();
    createMfaClient({ retry: false, timeoutMs: 5_000 });
    createMfaClient({ retry: { retries: 1 } });
    // @ts-expect-error `retry: true` is not a policy
    createMfaClient({ retry: true });
    // @ts-expect-error a misspelt option is refused
    createMfaClient({ retries: 3 });
  });

  it("keep the session in memory, sessionStorage, localStorage (shared by tabs) or any storage", () => {
    type Storage = NonNullable<MfaClientOptions["session"]>["storage"];
    expectTypeOf<Storage>().toEqualTypeOf<
      "memory" | "sessionStorage" | "localStorage" | StorageLike | undefined
    >();
    // @ts-expect-error a storage is named, not a boolean
    createMfaClient({ session: { storage: true } });
  });
});

describe("the client", () => {
  it("wraps an axios instance as the same type, and gives a typed fetch and state", () => {
    expectTypeOf<MfaClient["wrap"]>().toEqualTypeOf<
      <T extends import("./index").AxiosLike>(instance: T) => T
    >();
    expectTypeOf<MfaClient["fetch"]>().toEqualTypeOf<MfaFetch>();
    expectTypeOf<MfaClient["getSnapshot"]>().returns.toEqualTypeOf<MfaSnapshot>();
    expectTypeOf<MfaClient["stepUp"]>().returns.toEqualTypeOf<Promise<MfaSessionInfo>>();
    expectTypeOf<MfaClient["subscribe"]>().returns.toEqualTypeOf<() => void>();
    expectTypeOf<MfaSnapshot["status"]>().toEqualTypeOf<
      "idle" | "refreshing" | "challenge" | "verifying" | "locked"
    >();
  });

  it("gives an MfaError the problem's hint, behindS and clockSide, typed", () => {
    expectTypeOf<MfaError["hint"]>().toEqualTypeOf<
      "authenticator_clock_behind" | "algorithm_mismatch" | undefined
    >();
    expectTypeOf<MfaError["behindS"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<MfaError["clockSide"]>().toEqualTypeOf<"server" | "client" | undefined>();
    const error = new MfaError("INVALID_CODE", "x", { hint: "algorithm_mismatch" });
    expect(error.hint).toBe("algorithm_mismatch");
  });
});
