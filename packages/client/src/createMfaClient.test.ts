import axios from "axios";
import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { type ChallengeHandler, createMfaClient, MfaError, type MfaSnapshot } from "./index";
import { client } from "./test/adapters";
import { FakeApi, ORIGIN } from "./test/fakeApi";
import { useServer } from "./test/server";

const server = useServer();
const answer: ChallengeHandler = async () => ({ code: "123456" });

describe("createMfaClient", () => {
  it("shares one session between wrapped axios instances and mfa.fetch", async () => {
    const api = new FakeApi(server);
    const onChallenge = vi.fn(answer);
    const mfa = client({ onChallenge });
    const a = mfa.wrap(axios.create({ baseURL: ORIGIN }));
    const b = mfa.wrap(axios.create({ baseURL: ORIGIN }));
    await Promise.all([a.get("/data/mfa/1"), b.get("/data/mfa/2"), mfa.fetch("/data/mfa/3")]);
    expect(onChallenge).toHaveBeenCalledTimes(1);
    expect(api.verifyBodies).toHaveLength(1);
  });

  it("returns the same instance from wrap, once, and unwrap removes the interceptors", async () => {
    const api = new FakeApi(server);
    const mfa = client();
    const instance = axios.create({ baseURL: ORIGIN });
    expect(mfa.wrap(instance)).toBe(instance);
    expect(mfa.wrap(instance)).toBe(instance);
    const wrapped = await instance.get("/data/plain");
    expect(api.seen[0]?.headers.get("authorization")).toBe("Bearer t1");
    expect(wrapped.config.beforeRedirect).toBeTypeOf("function");
    expect(wrapped.config.timeout).toBe(10_000);
    expect(instance.interceptors.request.handlers?.filter(Boolean)).toHaveLength(2);
    expect(mfa.unwrap(instance)).toBe(instance);
    expect(instance.interceptors.request.handlers?.filter(Boolean)).toHaveLength(0);
    expect(instance.interceptors.response.handlers?.filter(Boolean)).toHaveLength(0);
    expect(instance.defaults.timeout).toBe(0);
    const bare = await instance.get("/data/plain").catch((e: { response: unknown }) => e.response);
    expect(api.seen[1]?.headers.has("authorization")).toBe(false);
    expect(
      (bare as { config: { beforeRedirect?: unknown } }).config.beforeRedirect,
    ).toBeUndefined();
  });

  it("gives a wrapped instance timeoutMs unless it or the request sets a timeout of its own", async () => {
    const api = new FakeApi(server);
    const mfa = client({ timeoutMs: 2_000 });
    const plain = mfa.wrap(axios.create({ baseURL: ORIGIN }));
    const own = mfa.wrap(axios.create({ baseURL: ORIGIN, timeout: 5_000 }));
    expect((await plain.get("/data/plain")).config.timeout).toBe(2_000);
    expect((await plain.get("/data/plain", { timeout: 3_000 })).config.timeout).toBe(3_000);
    expect((await own.get("/data/plain")).config.timeout).toBe(5_000);
    mfa.unwrap(own);
    expect(own.defaults.timeout).toBe(5_000);
    expect(api.seen).toHaveLength(3);
  });

  it("allows the wrapped instance's baseURL origin without listing it", async () => {
    const api = new FakeApi(server);
    const mfa = createMfaClient({ getAccessToken: () => "t1" });
    await mfa.wrap(axios.create({ baseURL: `${ORIGIN}/v1` })).get("/../data/plain");
    expect(api.seen[0]?.headers.get("authorization")).toBe("Bearer t1");
  });

  it("sees statuses a custom validateStatus accepts, and still refreshes and steps up", async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    const mfa = client({ refreshAccessToken: async () => "t2", onChallenge: answer });
    const instance = mfa.wrap(axios.create({ baseURL: ORIGIN, validateStatus: () => true }));
    const res = await instance.get("/data/mfa/one");
    expect(res.status).toBe(200);
  });

  it("steps up on demand with stepUp(), unless the session is fresh enough", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const api = new FakeApi(server);
      const onChallenge = vi.fn(answer);
      const mfa = client({ onChallenge });
      const session = await mfa.stepUp();
      expect(session).toMatchObject({ acr: "mfa" });
      expect(onChallenge).toHaveBeenCalledTimes(1);
      expect(onChallenge.mock.calls[0]![0].factors).toHaveLength(1); // listed from GET /mfa/factors
      expect(await mfa.stepUp({ maxAge: 300 })).toEqual(session);
      expect(onChallenge).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(301_000);
      await mfa.stepUp({ maxAge: 300 });
      expect(onChallenge).toHaveBeenCalledTimes(2);
      await mfa.stepUp({ maxAge: 0 });
      expect(onChallenge).toHaveBeenCalledTimes(3);
      expect(onChallenge.mock.calls[2]![0].challenge).toEqual({ acrValues: [], maxAge: 0 });
      expect(api.verifyBodies).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  // max_age=0 asks for a verification made for this very action: a session verified a moment ago
  // (here: in the same millisecond, on a frozen clock) does not satisfy it.
  it("verifies again for stepUp({ maxAge: 0 }) in the very millisecond of the last verification", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00.000Z"));
    try {
      const api = new FakeApi(server);
      // The client reads the server's clock from whole-second Date headers (midpoint: +500 ms);
      // a server 500 ms ahead puts the session's authTime exactly at the client's now.
      api.skewMs = 500;
      const onChallenge = vi.fn(answer);
      const mfa = client({ onChallenge });
      const first = await mfa.stepUp();
      expect(mfa.clock.now()).toBe(first.authTime);
      await mfa.stepUp({ maxAge: 0 });
      expect(onChallenge).toHaveBeenCalledTimes(2);
      expect(api.verifyBodies).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("rejects stepUp() with STEP_UP_REQUIRED without a handler", async () => {
    await expect(client().stepUp()).rejects.toMatchObject({ code: "STEP_UP_REQUIRED" });
  });

  it("replaces the challenge handler at run time and restores the previous one", async () => {
    new FakeApi(server);
    const first = vi.fn(answer);
    const second = vi.fn(answer);
    const mfa = client({ onChallenge: first });
    const restore = mfa.setChallengeHandler(second);
    await mfa.stepUp({ maxAge: 0 });
    expect(second).toHaveBeenCalledTimes(1);
    restore();
    await mfa.stepUp({ maxAge: 0 });
    expect(first).toHaveBeenCalledTimes(1);
    mfa.setChallengeHandler(null);
    await expect(mfa.stepUp({ maxAge: 0 })).rejects.toBeInstanceOf(MfaError);
  });

  it("shows the status of a challenge in immutable snapshots, and the same one when nothing changes", async () => {
    new FakeApi(server);
    let resolve!: (code: string) => void;
    const mfa = client({
      onChallenge: () =>
        new Promise((r) => {
          resolve = (code) => r({ code });
        }),
    });
    const seen: MfaSnapshot[] = [];
    mfa.subscribe((s) => seen.push(s));
    const idle = mfa.getSnapshot();
    expect(mfa.getSnapshot()).toBe(idle);
    const pending = mfa.fetch("/data/mfa/one");
    await vi.waitFor(() => expect(mfa.getSnapshot().status).toBe("challenge"));
    const open = mfa.getSnapshot();
    expect(Object.isFrozen(open)).toBe(true);
    expect(open.pendingChallenge).toMatchObject({
      attempt: 1,
      waiting: 1,
      factors: [{ id: "f-totp" }],
    });
    resolve("123456");
    expect((await pending).status).toBe(200);
    expect(seen.map((s) => s.status)).toContain("verifying");
    expect(mfa.getSnapshot()).toMatchObject({ status: "idle", pendingChallenge: null });
    expect(idle.session).toBeNull();
  });

  it("forgets the session on signOut and cancels a pending challenge", async () => {
    new FakeApi(server);
    const mfa = client({ onChallenge: answer });
    await mfa.fetch("/data/mfa/one");
    expect(mfa.getSnapshot().session).not.toBeNull();
    mfa.signOut();
    expect(mfa.getSnapshot().session).toBeNull();
    const stuck = client({ onChallenge: () => new Promise(() => {}) });
    const pending = stuck.fetch("/data/mfa/one");
    await vi.waitFor(() => expect(stuck.getSnapshot().pendingChallenge).not.toBeNull());
    stuck.signOut();
    await expect(pending).rejects.toMatchObject({ code: "STEP_UP_CANCELLED" });
  });

  it("resolves relative fetch URLs against baseUrl and explains when there is none", async () => {
    new FakeApi(server);
    await expect(createMfaClient().fetch("/data/plain")).rejects.toThrow(TypeError);
    // Calls without a request of the app's (`mfa.api`, `stepUp`) need the option itself.
    await expect(createMfaClient().api.listFactors()).rejects.toThrow(
      expect.objectContaining({ name: "MfaOptionError", option: "baseUrl" }),
    );
    expect((await client().fetch(new Request(`${ORIGIN}/data/plain`))).status).toBe(200);
  });

  it("accepts an async getAccessToken", async () => {
    const api = new FakeApi(server);
    server.use(
      http.get(`${ORIGIN}/async`, ({ request }) => api.primary(request) ?? HttpResponse.json({})),
    );
    await client({ getAccessToken: async () => "t1" }).fetch("/async");
    expect(api.seen[0]?.headers.get("authorization")).toBe("Bearer t1");
  });
});

describe("mfa.fetch in a browser", () => {
  it("refuses to follow a redirect it cannot see, rather than send credentials anywhere", async () => {
    const seen: RequestInit[] = [];
    const fetch = (async (_: unknown, init: RequestInit) => {
      seen.push(init);
      return { type: "opaqueredirect", status: 0, ok: false, headers: new Headers() } as Response;
    }) as typeof globalThis.fetch;
    const mfa = client({ fetch });
    await expect(mfa.fetch("/moved")).rejects.toMatchObject({ code: "NETWORK" });
    expect(seen[0]?.redirect).toBe("manual");
  });

  it("lets fetch follow redirects of requests without the client's credentials", async () => {
    const seen: RequestInit[] = [];
    const fetch = (async (_: unknown, init: RequestInit) => {
      seen.push(init);
      return new Response("{}", { status: 200 });
    }) as typeof globalThis.fetch;
    await client({ fetch }).fetch("https://elsewhere.example.org/x");
    expect(seen[0]?.redirect).toBeUndefined();
  });
});
