import { describe, expect, it } from "vitest";
import type { MfaServer } from "../server";
import { StoreUnavailableError } from "../stores/storeUnavailable";
import { T0 } from "../testing/fixtures";
import type { VerifyFailure } from "../verify";
import { errorResponse, retryHeaders, verifyFailure } from "./responses";

// The answers only read the kit's clock.
const mfa = { now: () => T0 } as MfaServer;
const policy = { maxFailures: 5, windowMs: 900_000 };
const DATE = "Tue, 14 Nov 2023 22:13:20 GMT";

async function read(response: Response) {
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.json(),
  };
}

const problemHeaders = {
  "cache-control": "no-store",
  "content-type": "application/problem+json",
  date: DATE,
};

const answer = (failure: VerifyFailure) => read(verifyFailure(mfa, failure, policy));

describe("verifyFailure", () => {
  it("answers locked with 429, Retry-After rounded up to whole seconds and RateLimit fields", async () => {
    expect(await answer({ reason: "locked", retryAfterMs: 1500 } as VerifyFailure)).toEqual({
      status: 429,
      headers: {
        ...problemHeaders,
        "retry-after": "2",
        ratelimit: '"mfa";r=0;t=2',
        "ratelimit-policy": '"mfa";q=5;w=900',
      },
      body: { type: "urn:mfa-kit:problem:locked", title: "Locked", status: 429, retryAfter: 2 },
    });
    // no retryAfterMs: one second
    const bare = await answer({ reason: "locked" } as VerifyFailure);
    expect(bare.body.retryAfter).toBe(1);
    expect(bare.headers["retry-after"]).toBe("1");
  });

  it("answers rate_limited with 429, at least one second, and says why", async () => {
    expect(await answer({ reason: "rate_limited", retryAfterMs: 200 } as VerifyFailure)).toEqual({
      status: 429,
      headers: {
        ...problemHeaders,
        "retry-after": "1",
        ratelimit: '"mfa";r=0;t=1',
        "ratelimit-policy": '"mfa";q=5;w=900',
      },
      body: {
        type: "urn:mfa-kit:problem:rate-limited",
        title: "Rate limited",
        status: 429,
        retryAfter: 1,
        detail: "Another verification for this user is in progress: retry in a moment.",
      },
    });
  });

  it("answers factors_changed with a 503 service_unavailable to retry, counting nothing", async () => {
    const body = {
      type: "urn:mfa-kit:problem:service-unavailable",
      title: "Service unavailable",
      status: 503,
      retryAfter: 3,
      detail:
        "The user's factors changed while the code was being checked: nothing was counted, retry in a moment.",
    };
    expect(
      await answer({ reason: "factors_changed", retryAfterMs: 2500 } as VerifyFailure),
    ).toEqual({ status: 503, headers: { ...problemHeaders, "retry-after": "3" }, body });
    expect(await answer({ reason: "factors_changed" } as VerifyFailure)).toEqual({
      status: 503,
      headers: { ...problemHeaders, "retry-after": "1" },
      body: { ...body, retryAfter: 1 },
    });
  });

  it("answers invalid_code with 400, attempts left and the remaining RateLimit, when counted", async () => {
    expect(await answer({ reason: "invalid_code", attemptsLeft: 2 } as VerifyFailure)).toEqual({
      status: 400,
      headers: {
        ...problemHeaders,
        ratelimit: '"mfa";r=2;t=900',
        "ratelimit-policy": '"mfa";q=5;w=900',
      },
      body: {
        type: "urn:mfa-kit:problem:invalid-code",
        title: "Invalid code",
        status: 400,
        detail: "The code is wrong or malformed.",
        attemptsLeft: 2,
      },
    });
    expect(await answer({ reason: "invalid_code" } as VerifyFailure)).toEqual({
      status: 400,
      headers: problemHeaders,
      body: {
        type: "urn:mfa-kit:problem:invalid-code",
        title: "Invalid code",
        status: 400,
        detail: "The code is wrong or malformed.",
      },
    });
  });

  it("answers resync_required as an invalid code with resync: true", async () => {
    const detail =
      "The code is far ahead of the expected counter: enter the next code from the device to resynchronise it.";
    expect(await answer({ reason: "resync_required", attemptsLeft: 1 } as VerifyFailure)).toEqual({
      status: 400,
      headers: {
        ...problemHeaders,
        ratelimit: '"mfa";r=1;t=900',
        "ratelimit-policy": '"mfa";q=5;w=900',
      },
      body: {
        type: "urn:mfa-kit:problem:invalid-code",
        title: "Invalid code",
        status: 400,
        detail,
        resync: true,
        attemptsLeft: 1,
      },
    });
    expect((await answer({ reason: "resync_required" } as VerifyFailure)).body).toEqual({
      type: "urn:mfa-kit:problem:invalid-code",
      title: "Invalid code",
      status: 400,
      detail,
      resync: true,
    });
  });

  it("answers code_expired and code_reused with 400 of their own type", async () => {
    expect(await answer({ reason: "code_expired", attemptsLeft: 0 } as VerifyFailure)).toEqual({
      status: 400,
      headers: {
        ...problemHeaders,
        ratelimit: '"mfa";r=0;t=900',
        "ratelimit-policy": '"mfa";q=5;w=900',
      },
      body: {
        type: "urn:mfa-kit:problem:code-expired",
        title: "Code expired",
        status: 400,
        detail: "The code or challenge has expired: start a new challenge.",
        attemptsLeft: 0,
      },
    });
    expect(await answer({ reason: "code_reused" } as VerifyFailure)).toEqual({
      status: 400,
      headers: problemHeaders,
      body: {
        type: "urn:mfa-kit:problem:code-reused",
        title: "Code reused",
        status: 400,
        detail: "This code was already used: wait for the next one.",
      },
    });
  });

  it("answers factor_not_found with 404 and suspended with 403 locked, without a countdown", async () => {
    expect(await answer({ reason: "factor_not_found" } as VerifyFailure)).toEqual({
      status: 404,
      headers: problemHeaders,
      body: {
        type: "urn:mfa-kit:problem:factor-not-found",
        title: "Factor not found",
        status: 404,
        detail: "No such factor for this user.",
      },
    });
    expect(await answer({ reason: "suspended" } as VerifyFailure)).toEqual({
      status: 403,
      headers: problemHeaders,
      body: {
        type: "urn:mfa-kit:problem:locked",
        title: "Locked",
        status: 403,
        suspended: true,
        detail:
          "Too many failed codes: verify with a security key or a backup code, or ask support to unlock the account.",
      },
    });
  });

  it("answers additional_factor_required with a 401 step-up naming the factors", async () => {
    const factors = [{ id: "f_1", type: "totp", status: "active", createdAt: 1 }];
    const challenge =
      'Bearer error="insufficient_user_authentication", error_description="additional factor required", acr_values="mfa"';
    expect(
      await answer({
        reason: "additional_factor_required",
        factors,
        backupCodes: true,
      } as VerifyFailure),
    ).toEqual({
      status: 401,
      headers: { ...problemHeaders, "www-authenticate": challenge },
      body: {
        type: "urn:mfa-kit:problem:mfa-required",
        title: "MFA required",
        status: 401,
        detail: "This sign-in comes from a new location: verify a second, different factor.",
        additionalFactor: true,
        factors,
        backupCodes: true,
        acrValues: ["mfa"],
      },
    });
    expect(
      (await answer({ reason: "additional_factor_required" } as VerifyFailure)).body,
    ).toMatchObject({
      factors: [],
      backupCodes: false,
    });
  });

  it("answers a malformed verification with 400 invalid_request", async () => {
    expect(await answer({ reason: "invalid_request" } as VerifyFailure)).toEqual({
      status: 400,
      headers: problemHeaders,
      body: {
        type: "urn:mfa-kit:problem:invalid-request",
        title: "Invalid request",
        status: 400,
        detail: "Send exactly one of code, webauthn or backupCode.",
      },
    });
    expect((await answer({ reason: "unheard_of" } as never)).body.detail).toBe(
      "The request is malformed.",
    );
  });
});

describe("retryHeaders", () => {
  it("round up to whole seconds, at least one", () => {
    expect(retryHeaders(0, policy)).toEqual({
      "Retry-After": "1",
      RateLimit: '"mfa";r=0;t=1',
      "RateLimit-Policy": '"mfa";q=5;w=900',
    });
    expect(retryHeaders(1000, policy)["Retry-After"]).toBe("1");
    expect(retryHeaders(1001, policy)).toEqual({
      "Retry-After": "2",
      RateLimit: '"mfa";r=0;t=2',
      "RateLimit-Policy": '"mfa";q=5;w=900',
    });
  });
});

describe("errorResponse", () => {
  it("answers a store outage with 503 and its Retry-After, rounded up, after telling onError", async () => {
    const error = new StoreUnavailableError("down", { retryAfterSeconds: 2.5 });
    const seen: unknown[] = [];
    const request = new Request("https://api.test/mfa/verify");
    const response = errorResponse(mfa, error, request, (e, info) => seen.push(e, info.request));
    expect(seen).toEqual([error, request]);
    expect(await read(response)).toEqual({
      status: 503,
      headers: { ...problemHeaders, "retry-after": "3" },
      body: {
        type: "urn:mfa-kit:problem:service-unavailable",
        title: "Service unavailable",
        status: 503,
        retryAfter: 3,
        detail: "The service cannot answer right now: try again in a moment.",
      },
    });
    const soon = new StoreUnavailableError("down", { retryAfterSeconds: 0 });
    expect((await read(errorResponse(mfa, soon, request, undefined))).headers["retry-after"]).toBe(
      "1",
    );
  });

  it("answers anything else with 500, even when onError throws", async () => {
    const response = errorResponse(mfa, new Error("boom"), new Request("https://api.test/"), () => {
      throw new Error("logger down");
    });
    expect(await read(response)).toEqual({
      status: 500,
      headers: problemHeaders,
      body: {
        type: "urn:mfa-kit:problem:internal-error",
        title: "Internal error",
        status: 500,
        detail: "Something went wrong on the server: try again.",
      },
    });
  });
});
