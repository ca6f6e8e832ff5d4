import { problem } from "@mfa-kit/protocol";
import { formatStepUpChallenge } from "@mfa-kit/protocol/format";
import { OAuthProblemTypes } from "@mfa-kit/protocol/oauth";
import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { MfaError, type MfaEvent } from "../index";
import { createMfaClient, type OAuthMfaClientOptions } from "../oauth";
import { adapterCases } from "../test/adapters";
import { ORIGIN } from "../test/fakeApi";
import { useServer } from "../test/server";

const server = useServer();

const STEP_UP = formatStepUpChallenge({ acrValues: ["mfa"], maxAge: 300 });
const oauthProblem = {
  type: OAuthProblemTypes.insufficient_user_authentication,
  title: "Insufficient user authentication",
  status: 401,
  acrValues: ["mfa"],
  maxAge: 300,
};

/**
 * An OAuth resource server: `/tx` wants the token `strong`; a weaker one gets the RFC 9470
 * challenge (header and body, or only the body with `hideHeaders`, as a cross-origin API that
 * exposes nothing). Records the tokens it saw.
 */
function resourceServer(options: { hideHeaders?: boolean; www?: string } = {}) {
  const seen: string[] = [];
  server.use(
    http.all(`${ORIGIN}/tx/:n`, ({ request }) => {
      const token = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
      seen.push(token);
      if (token.startsWith("strong")) return HttpResponse.json({ ok: true, token });
      return HttpResponse.json(oauthProblem, {
        status: 401,
        headers: {
          "content-type": "application/problem+json",
          ...(options.hideHeaders ? {} : { "www-authenticate": options.www ?? STEP_UP }),
        },
      });
    }),
  );
  return seen;
}

const oauthClient = (options: OAuthMfaClientOptions) =>
  createMfaClient({ origins: [ORIGIN], baseUrl: ORIGIN, getAccessToken: () => "weak", ...options });

describe.each(adapterCases)("reauthorize ($name)", ({ send }) => {
  it("re-authorizes once for ten concurrent challenges, and every call replays with the new token", async () => {
    const seen = resourceServer();
    const events: MfaEvent[] = [];
    let resolve!: (token: string) => void;
    const reauthorize = vi.fn(() => new Promise<string>((r) => (resolve = r)));
    const mfa = oauthClient({ reauthorize, onEvent: (e) => events.push(e) });
    const calls = Array.from({ length: 10 }, (_, i) => send(mfa, `/tx/${i}`, { method: "POST" }));
    await vi.waitFor(() => expect(seen.length).toBe(10));
    await vi.waitFor(() => expect(reauthorize).toHaveBeenCalledTimes(1));
    resolve("strong-1");
    const results = await Promise.all(calls);
    expect(results.map((r) => r.status)).toStrictEqual(Array(10).fill(200));
    expect(reauthorize).toHaveBeenCalledTimes(1);
    const [request] = reauthorize.mock.calls[0] as unknown as [Record<string, unknown>];
    expect(request).toMatchObject({ acrValues: ["mfa"], maxAge: 300 });
    expect(request.signal).toBeInstanceOf(AbortSignal);
    expect(seen.filter((t) => t === "strong-1")).toHaveLength(10);
    expect(events.filter((e) => e.type.startsWith("reauthorize"))).toStrictEqual([
      { type: "reauthorize.started", acrValues: ["mfa"], maxAge: 300 },
      { type: "reauthorize.succeeded" },
    ]);
  });

  it("sends the new token on later calls until getAccessToken gives a different one", async () => {
    const seen = resourceServer();
    let appToken = "weak";
    const reauthorize = vi.fn(async () => "strong-1");
    const mfa = oauthClient({ reauthorize, getAccessToken: () => appToken });
    expect((await send(mfa, "/tx/1")).status).toBe(200);
    expect((await send(mfa, "/tx/2")).status).toBe(200);
    expect(seen).toStrictEqual(["weak", "strong-1", "strong-1"]);
    appToken = "strong-2";
    await send(mfa, "/tx/3");
    expect(seen.at(-1)).toBe("strong-2");
    expect(reauthorize).toHaveBeenCalledTimes(1);
  });

  it("reads the challenge from the problem body when the API hides WWW-Authenticate", async () => {
    resourceServer({ hideHeaders: true });
    const reauthorize = vi.fn(async () => "strong-1");
    const mfa = oauthClient({ reauthorize });
    expect((await send(mfa, "/tx/1")).status).toBe(200);
    expect(reauthorize).toHaveBeenCalledWith(
      expect.objectContaining({ acrValues: ["mfa"], maxAge: 300 }),
    );
  });

  it("hands the decoded claims of an insufficient_claims challenge to reauthorize", async () => {
    const claimsJson = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
    const encoded = Buffer.from(claimsJson).toString("base64url");
    resourceServer({ www: `Bearer error="insufficient_claims", claims="${encoded}"` });
    const reauthorize = vi.fn(async () => "strong-1");
    const mfa = oauthClient({ reauthorize });
    expect((await send(mfa, "/tx/1")).status).toBe(200);
    expect(reauthorize).toHaveBeenCalledWith(
      expect.objectContaining({
        acrValues: [],
        claims: { access_token: { acrs: { essential: true, value: "c1" } } },
        claimsJson,
      }),
    );
  });

  it("rejects every waiting call with STEP_UP_CANCELLED when reauthorize rejects", async () => {
    resourceServer();
    let reject!: (e: Error) => void;
    const reauthorize = vi.fn(() => new Promise<string>((_, r) => (reject = r)));
    const mfa = oauthClient({ reauthorize });
    const calls = Array.from({ length: 3 }, (_, i) =>
      send(mfa, `/tx/${i}`).then(
        () => null,
        (e: unknown) => e,
      ),
    );
    await vi.waitFor(() => expect(reauthorize).toHaveBeenCalledTimes(1));
    const closed = new Error("popup closed");
    reject(closed);
    const errors = await Promise.all(calls);
    for (const e of errors) {
      expect(e).toBeInstanceOf(MfaError);
      expect((e as MfaError).code).toBe("STEP_UP_CANCELLED");
      expect((e as MfaError).cause).toBe(closed);
    }
  });

  it("fails with STEP_UP_FAILED when the new token is refused too, without a second re-authorization", async () => {
    resourceServer();
    const reauthorize = vi.fn(async () => "still-weak");
    const mfa = oauthClient({ reauthorize });
    await expect(send(mfa, "/tx/1")).rejects.toMatchObject({ code: "STEP_UP_FAILED" });
    expect(reauthorize).toHaveBeenCalledTimes(1);
  });

  it("fails with STEP_UP_FAILED when reauthorize gives no token", async () => {
    resourceServer();
    const mfa = oauthClient({ reauthorize: async () => "" });
    await expect(send(mfa, "/tx/1")).rejects.toMatchObject({ code: "STEP_UP_FAILED" });
  });

  it("sends the kit's own challenges to onChallenge, and stepUp forces one path", async () => {
    let verified = false;
    server.use(
      http.get(`${ORIGIN}/kit`, ({ request }) =>
        request.headers.get("x-session-token") === "s1" ||
        request.headers.get("authorization") === "Bearer strong"
          ? HttpResponse.json({ ok: true })
          : HttpResponse.json(problem("mfa_required", { factors: [] }), {
              status: 401,
              headers: { "www-authenticate": formatStepUpChallenge({ acrValues: ["mfa"] }) },
            }),
      ),
      http.post(`${ORIGIN}/mfa/verify`, () => {
        verified = true;
        return HttpResponse.json({
          token: "s1",
          expiresAt: Date.now() + 600_000,
          authTime: Date.now(),
          acr: "mfa",
          amr: ["otp"],
        });
      }),
    );
    const reauthorize = vi.fn(async () => "strong");
    const onChallenge = vi.fn(async () => ({ factorId: "f", code: "123456" }));
    const kit = oauthClient({ reauthorize, onChallenge });
    expect((await send(kit, "/kit")).status).toBe(200);
    expect(onChallenge).toHaveBeenCalledTimes(1);
    expect(reauthorize).not.toHaveBeenCalled();
    expect(verified).toBe(true);

    const forced = oauthClient({ reauthorize, onChallenge, stepUp: "reauthorize" });
    expect((await send(forced, "/kit")).status).toBe(200);
    expect(reauthorize).toHaveBeenCalledTimes(1);

    resourceServer();
    const toKit = oauthClient({ reauthorize, stepUp: "onChallenge" });
    await expect(send(toKit, "/tx/1")).rejects.toMatchObject({ code: "STEP_UP_REQUIRED" });
    expect(reauthorize).toHaveBeenCalledTimes(1);
  });

  it("without reauthorize rejects an OAuth challenge with STEP_UP_REQUIRED and the challenge", async () => {
    resourceServer();
    const mfa = oauthClient({});
    await expect(send(mfa, "/tx/1")).rejects.toMatchObject({
      code: "STEP_UP_REQUIRED",
      challenge: { acrValues: ["mfa"], maxAge: 300 },
    });
  });

  it("aborts the re-authorization when every waiting call has aborted", async () => {
    resourceServer();
    let signal: AbortSignal | undefined;
    const mfa = oauthClient({
      reauthorize: ({ signal: s }) => {
        signal = s;
        return new Promise<string>(() => {});
      },
    });
    const ac = new AbortController();
    const call = send(mfa, "/tx/1", { signal: ac.signal });
    await vi.waitFor(() => expect(signal).toBeDefined());
    ac.abort();
    await expect(call).rejects.toMatchObject({ code: "ABORTED" });
    expect(signal?.aborted).toBe(true);
  });
});

describe("clock.unavailable", () => {
  it("is told once when responses carry no readable Date, never when they do", async () => {
    server.use(
      http.get(`${ORIGIN}/bare/:n`, () => {
        const res = HttpResponse.json({ ok: true });
        res.headers.delete("date");
        return res;
      }),
      http.get(`${ORIGIN}/dated`, () =>
        HttpResponse.json({ ok: true }, { headers: { date: new Date().toUTCString() } }),
      ),
    );
    const events: MfaEvent[] = [];
    const mfa = oauthClient({ onEvent: (e) => events.push(e) });
    await mfa.fetch("/bare/1");
    await mfa.fetch("/bare/2");
    expect(events).toStrictEqual([{ type: "clock.unavailable" }]);
    expect(mfa.clock.offsetMs).toBe(0);

    const dated: MfaEvent[] = [];
    const other = oauthClient({ onEvent: (e) => dated.push(e) });
    await other.fetch("/dated");
    await other.fetch("/bare/3");
    expect(dated).toStrictEqual([]);
  });
});
