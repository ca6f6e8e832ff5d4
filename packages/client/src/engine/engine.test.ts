import { formatStepUpChallenge } from "@mfa-kit/protocol/format";
import { describe, expect, it, vi } from "vitest";
import type { Coordinator } from "./coordinator";
import { createEngine, type InternalFetch } from "./engine";
import type { Failure } from "./failure";
import { type MfaClientOptions, resolveOptions } from "./options";
import { applyHeaders, markOwn, RequestContext } from "./requestContext";
import { singleFlight } from "./singleFlight";

const URL_ = "https://api.example.com/data";
function target(this: RequestContext) {
  return this.target as string;
}

const session = {
  token: "s1",
  expiresAt: Date.now() + 3_600_000,
  authTime: Date.now(),
  acr: "mfa",
  amr: ["otp"],
};
/** A storage holding a live session. */
const withSession = () => {
  const items = new Map([["mfa-kit.session", JSON.stringify(session)]]);
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
};

const noSend: InternalFetch = () => Promise.reject(new Error("no network in this test"));
const engineOf = (options: MfaClientOptions, coordinator?: Coordinator) =>
  createEngine(resolveOptions(options), options.onChallenge, noSend, coordinator);

interface Case {
  name: string;
  options: MfaClientOptions;
  method?: string;
  own?: Record<string, string>;
  allowed?: boolean;
  internal?: boolean;
  /** Done to the engine before the request (a refresh, say). */
  prepare?: (engine: ReturnType<typeof engineOf>) => Promise<void>;
}

const expired: Failure = {
  status: 401,
  headers: new Headers({ "www-authenticate": 'Bearer error="invalid_token"' }),
};

const cases: Case[] = [
  { name: "no token at all", options: {} },
  { name: "the app's token", options: { getAccessToken: () => "t1" } },
  {
    name: "an origin credentials may not go to",
    options: { getAccessToken: () => "t1" },
    allowed: false,
  },
  {
    name: "a stored session",
    options: { getAccessToken: () => "t1", session: { storage: withSession() } },
  },
  {
    name: "a POST with idempotency keys",
    options: { getAccessToken: () => "t1", idempotencyKeys: true },
    method: "post",
  },
  {
    name: "the caller's own Authorization and Idempotency-Key",
    options: { getAccessToken: () => "t1", idempotencyKeys: true },
    method: "post",
    own: { Authorization: "Bearer mine", "Idempotency-Key": "k1" },
  },
  {
    name: "one of the engine's own requests",
    options: {
      getAccessToken: () => "t1",
      idempotencyKeys: true,
      session: { storage: withSession() },
    },
    method: "post",
    internal: true,
  },
  {
    name: "a token a refresh replaced",
    options: { getAccessToken: () => "t1", refreshAccessToken: async () => "t2" },
    async prepare(engine) {
      const ctx = new RequestContext("GET", undefined, target, URL_);
      await engine.before(ctx, true);
      applyHeaders(ctx, {});
      expect(await engine.handle(ctx, { ...expired })).toBe(true);
    },
  },
];

/** The headers an attempt goes with, the random Idempotency-Key shown as whether there is one. */
async function attempt(c: Case, sync: boolean) {
  const engine = engineOf(c.options);
  await c.prepare?.(engine);
  // Warm up: `getAccessToken` is known to answer at once only after its first call.
  await engine.before(new RequestContext("GET", undefined, target, URL_), true);
  expect(engine.ready()).toBe(true);
  const ctx = new RequestContext(c.method ?? "get", undefined, target, URL_, undefined, c.internal);
  const headers: Record<string, unknown> = { ...c.own };
  for (const name in headers) markOwn(ctx, name);
  const wait = engine.before(ctx, c.allowed ?? true, sync);
  if (sync) expect(wait).toBeUndefined();
  else await wait;
  applyHeaders(ctx, headers);
  const key = headers["Idempotency-Key"];
  return {
    headers: { ...headers, "Idempotency-Key": key === "k1" ? key : key ? "(random)" : undefined },
    creds: ctx.creds,
    gen: ctx.gen,
  };
}

describe("engine", () => {
  // The synchronous path exists for speed only (a wrapped axios instance sends without a promise
  // hop when nothing needs waiting for): it must never send other credentials than the other one.
  it.each(cases)(
    "fills the same credentials down the synchronous and the asynchronous path: $name",
    async (c) => {
      const [fast, slow] = [await attempt(c, true), await attempt(c, false)];
      expect(fast).toEqual(slow);
    },
  );

  it("asks the failureHandler option after the token refresh, before the step-up and the retry", async () => {
    const seen: string[] = [];
    const engine = engineOf({
      getAccessToken: () => "t1",
      retry: { retries: 1, baseDelayMs: 0 },
      failureHandler(e, ctx, www, problem) {
        seen.push(`${www} ${problem?.title}`);
        if (!www?.includes("insufficient_claims")) return undefined;
        e.useToken(ctx.token, "t-claims");
        return true;
      },
    });
    const ctx = new RequestContext("GET", undefined, target, URL_);
    await engine.before(ctx, true);
    applyHeaders(ctx, {});
    const claims = 'Bearer error="insufficient_claims", claims="e30"';
    const body = () => ({ type: "urn:example:claims", title: "Claims" });
    expect(
      await engine.handle(ctx, {
        status: 401,
        headers: new Headers({ "www-authenticate": claims }),
        body,
      }),
    ).toBe(true);
    await engine.before(ctx, true);
    expect(ctx.token).toBe("t-claims");
    expect(ctx.gen).toBe(engine.gen());
    // Not a 401 with credentials: the handler is not asked, the retry is.
    expect(await engine.handle(ctx, { status: 503, headers: new Headers() })).toBe(true);
    expect(seen).toEqual([`${claims} Claims`]);
  });

  it("leaves a challenge to the step-up when the failureHandler option leaves it", async () => {
    const added = vi.fn(() => undefined);
    const engine = engineOf({ getAccessToken: () => "t1", failureHandler: added });
    const ctx = new RequestContext("GET", undefined, target, URL_);
    await engine.before(ctx, true);
    const failure = {
      status: 401,
      headers: new Headers({ "www-authenticate": formatStepUpChallenge({ acrValues: ["mfa"] }) }),
    };
    // No challenge handler: the step-up rejects with STEP_UP_REQUIRED after the option passed.
    await expect(engine.handle(ctx, failure)).rejects.toMatchObject({ code: "STEP_UP_REQUIRED" });
    expect(added).toHaveBeenCalledTimes(1);
  });

  it("runs the token refresh and the challenge through the coordinator", async () => {
    const names: string[] = [];
    const coordinator: Coordinator = {
      flight(name, task) {
        const flight = singleFlight(task);
        return Object.assign(
          (arg: Parameters<typeof task>[0]) => {
            names.push(name);
            return flight(arg);
          },
          {
            current: flight.current,
          },
        );
      },
    };
    const refreshAccessToken = vi.fn(async () => "t2");
    const engine = engineOf(
      { baseUrl: "https://api.example.com", getAccessToken: () => "t1", refreshAccessToken },
      coordinator,
    );
    const ctx = new RequestContext("GET", undefined, target, URL_);
    await engine.before(ctx, true);
    applyHeaders(ctx, {});
    expect(await engine.handle(ctx, { ...expired })).toBe(true);
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
    expect(names).toEqual(["mfa-kit.token"]);
    await expect(engine.stepUp({ signal: AbortSignal.abort() })).rejects.toBeDefined();
    expect(names).toEqual(["mfa-kit.token", "mfa-kit.challenge"]);
  });
});
