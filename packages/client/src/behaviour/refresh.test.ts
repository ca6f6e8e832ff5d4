import { delay, HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { MfaError } from "../index";
import { adapterCases, client } from "../test/adapters";
import { FakeApi, ORIGIN } from "../test/fakeApi";
import { useServer } from "../test/server";

const server = useServer();

describe.each(adapterCases)("single-flight refresh ($name)", ({ send }) => {
  // msw costs a few milliseconds per request: 2,000 of them need more than the default 5 s.
  it("answers 1,000 concurrent requests against an expired token with one refresh and 1,000 successes", {
    timeout: 60_000,
  }, async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    const refreshAccessToken = vi.fn(async () => "t2");
    const mfa = client({ getAccessToken: () => "t1", refreshAccessToken });
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => send(mfa, `/data/item/${i}`)),
    );
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1000);
    // Each request went out twice at most: once with the old token, once replayed with the new.
    expect(api.seen).toHaveLength(2000);
    expect(api.seen.filter((s) => s.headers.get("authorization") === "Bearer t2")).toHaveLength(
      1000,
    );
  });

  it("replays a request that was in flight when the refresh started without refreshing again", async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    let started = false;
    let release!: () => void;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.use(
      http.get(`${ORIGIN}/data/slow`, async ({ request }) => {
        if (request.headers.get("authorization") === "Bearer t1") {
          started = true;
          await slow;
        }
        return api.primary(request) ?? HttpResponse.json({ slow: true });
      }),
    );
    const refreshAccessToken = vi.fn(async () => "t2");
    const mfa = client({ refreshAccessToken });
    const inFlight = send(mfa, "/data/slow");
    await vi.waitFor(() => expect(started).toBe(true));
    expect((await send(mfa, "/data/fast")).status).toBe(200);
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
    release();
    expect(await inFlight).toEqual({ status: 200, body: { slow: true } });
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
  });

  it("prefers a newer token the app already holds over refreshing", async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    let token = "t1";
    server.use(
      http.get(`${ORIGIN}/data/race`, async ({ request }) => {
        token = "t2"; // the app renewed its token meanwhile
        return api.primary(request) ?? HttpResponse.json({ ok: true });
      }),
    );
    const refreshAccessToken = vi.fn(async () => "t3");
    const res = await send(
      client({ getAccessToken: () => token, refreshAccessToken }),
      "/data/race",
    );
    expect(res.status).toBe(200);
    expect(refreshAccessToken).not.toHaveBeenCalled();
  });

  it("rejects every waiting request with REFRESH_FAILED and clears the state when the refresh fails", async () => {
    const api = new FakeApi(server);
    const mfa = client({ onChallenge: async () => ({ code: "123456" }) });
    await send(mfa, "/data/mfa/one");
    expect(mfa.getSnapshot().session).not.toBeNull();

    api.tokens = new Set(["t2"]);
    const refreshAccessToken = vi.fn(async () => {
      await delay(5);
      throw new Error("refresh token revoked");
    });
    const failing = client({ refreshAccessToken, onChallenge: async () => ({ code: "123456" }) });
    await send(failing, "/data/plain").catch(() => {});
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => send(failing, "/data/plain")),
    );
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(MfaError);
      expect((r as PromiseRejectedResult).reason.code).toBe("REFRESH_FAILED");
      expect((r as PromiseRejectedResult).reason.cause).toEqual(new Error("refresh token revoked"));
    }
    expect(refreshAccessToken).toHaveBeenCalledTimes(2);
    expect(failing.getSnapshot()).toMatchObject({ session: null, status: "idle" });
  });

  it("clears the MFA session when the refresh fails", async () => {
    const api = new FakeApi(server);
    const mfa = client({
      refreshAccessToken: async () => Promise.reject(new Error("gone")),
      onChallenge: async () => ({ code: "123456" }),
    });
    await send(mfa, "/data/mfa/one");
    expect(mfa.getSnapshot().session).not.toBeNull();
    api.tokens.clear();
    await expect(send(mfa, "/data/mfa/two")).rejects.toMatchObject({ code: "REFRESH_FAILED" });
    expect(mfa.getSnapshot().session).toBeNull();
  });

  it("holds new requests while a refresh runs, sends them with the new token, and lets a signal end the wait", async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    let finish!: (token: string) => void;
    const mfa = client({
      refreshAccessToken: () =>
        new Promise<string>((resolve) => {
          finish = resolve;
        }),
    });
    const first = send(mfa, "/data/one");
    await vi.waitFor(() => expect(mfa.getSnapshot().status).toBe("refreshing"));
    const held = send(mfa, "/data/two");
    const ac = new AbortController();
    const abandoned = send(mfa, "/data/three", { signal: ac.signal });
    ac.abort();
    await expect(abandoned).rejects.toMatchObject({ code: "ABORTED" });
    finish("t2");
    expect((await first).status).toBe(200);
    expect((await held).status).toBe(200);
    // The held request went out once, with the new token.
    expect(
      api.seen
        .filter((s) => s.url.endsWith("/data/two"))
        .map((s) => s.headers.get("authorization")),
    ).toEqual(["Bearer t2"]);
  });

  it("treats a refresh that throws at once or gives no token as failed", async () => {
    new FakeApi(server).tokens = new Set(["t2"]);
    const throwing = client({
      refreshAccessToken: () => {
        throw new Error("no refresh token");
      },
    });
    await expect(send(throwing, "/data/plain")).rejects.toMatchObject({
      code: "REFRESH_FAILED",
      cause: new Error("no refresh token"),
    });
    const empty = client({ refreshAccessToken: async () => "" });
    await expect(send(empty, "/data/plain")).rejects.toMatchObject({
      code: "REFRESH_FAILED",
      message: expect.stringContaining("must resolve with the new token"),
    });
  });

  it("never replays a request twice for a rejected token: a rejected new token is handed back", async () => {
    new FakeApi(server).tokens.clear();
    const refreshAccessToken = vi.fn(async () => "t2");
    const res = await send(client({ refreshAccessToken }), "/data/plain");
    expect(res.status).toBe(401);
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
  });

  it("hands a 401 on without a refresh function", async () => {
    new FakeApi(server).tokens.clear();
    expect((await send(client(), "/data/plain")).status).toBe(401);
  });
});
