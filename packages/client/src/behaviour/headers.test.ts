import axios from "axios";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { adapterCases, client } from "../test/adapters";
import { FakeApi, ORIGIN, OTHER } from "../test/fakeApi";
import { useServer } from "../test/server";

const server = useServer();

describe.each(adapterCases)("headers ($name)", ({ send }) => {
  it("sends the access token as Authorization: Bearer to an allowed origin", async () => {
    const api = new FakeApi(server);
    const res = await send(client(), "/data/plain");
    expect(res.status).toBe(200);
    expect(api.seen[0]?.headers.get("authorization")).toBe("Bearer t1");
  });

  it("sends each client's own token when clients with different tokens take turns", async () => {
    const api = new FakeApi(server);
    const tokens = ["t1", "t2", "t1", "t2"];
    const clients = { t1: client(), t2: client({ getAccessToken: () => "t2" }) };
    api.tokens.add("t2");
    for (const token of tokens) await send(clients[token as "t1" | "t2"], "/data/plain");
    expect(api.seen.map((r) => r.headers.get("authorization"))).toEqual(
      tokens.map((t) => `Bearer ${t}`),
    );
  });

  it("sends X-Session-Token once a session exists, not before", async () => {
    const api = new FakeApi(server);
    const mfa = client({ onChallenge: async () => ({ factorId: "f-totp", code: "123456" }) });
    await send(mfa, "/data/plain");
    expect(api.seen[0]?.headers.has("x-session-token")).toBe(false);
    expect((await send(mfa, "/data/mfa/one")).status).toBe(200);
    await send(mfa, "/data/plain");
    const last = api.seen.at(-1)!;
    expect(last.headers.get("x-session-token")).toBe([...api.sessions.keys()][0]);
  });

  it("never sends credentials to another origin named by an absolute URL", async () => {
    let seen: Headers | undefined;
    server.use(
      http.get(`${OTHER}/x`, ({ request }) => {
        seen = request.headers;
        return HttpResponse.json({ ok: true });
      }),
    );
    const api = new FakeApi(server);
    const mfa = client({ onChallenge: async () => ({ code: "123456" }) });
    await send(mfa, "/data/mfa/one");
    expect(api.sessions.size).toBe(1);
    expect((await send(mfa, `${OTHER}/x`)).status).toBe(200);
    expect(seen?.has("authorization")).toBe(false);
    expect(seen?.has("x-session-token")).toBe(false);
  });

  it("drops credentials when a 302 leads to another origin, and keeps them on the same origin", async () => {
    let foreign: Headers | undefined;
    let local: Headers | undefined;
    server.use(
      http.get(
        `${ORIGIN}/hop/away`,
        () => new HttpResponse(null, { status: 302, headers: { location: `${OTHER}/landing` } }),
      ),
      http.get(
        `${ORIGIN}/hop/home`,
        () => new HttpResponse(null, { status: 302, headers: { location: "/landing" } }),
      ),
      http.get(`${OTHER}/landing`, ({ request }) => {
        foreign = request.headers;
        return HttpResponse.json({ where: "other" });
      }),
      http.get(`${ORIGIN}/landing`, ({ request }) => {
        local = request.headers;
        return HttpResponse.json({ where: "home" });
      }),
    );
    const api = new FakeApi(server);
    const mfa = client({ onChallenge: async () => ({ code: "123456" }) });
    await send(mfa, "/data/mfa/one");
    expect(api.sessions.size).toBe(1);

    expect((await send(mfa, "/hop/away")).body).toEqual({ where: "other" });
    expect(foreign?.has("authorization")).toBe(false);
    expect(foreign?.has("x-session-token")).toBe(false);

    // Whoever set them: a caller's own credentials do not leave the origin either.
    await send(mfa, "/hop/away", { headers: { "X-Session-Token": "mine", "X-Other": "kept" } });
    expect(foreign?.has("x-session-token")).toBe(false);
    expect(foreign?.get("x-other")).toBe("kept");

    expect((await send(mfa, "/hop/home")).body).toEqual({ where: "home" });
    expect(local?.get("authorization")).toBe("Bearer t1");
    expect(local?.has("x-session-token")).toBe(true);
  });

  it("keeps an Authorization header the request sets itself", async () => {
    const api = new FakeApi(server);
    api.tokens.add("mine");
    await send(client(), "/data/plain", { headers: { Authorization: "Bearer mine" } });
    expect(api.seen[0]?.headers.get("authorization")).toBe("Bearer mine");
  });

  it("sends X-MFA-Token with the replay when a one-shot call's challenge is answered inline", async () => {
    const seen: Headers[] = [];
    server.use(
      http.delete(`${ORIGIN}/account`, ({ request }) => {
        seen.push(request.headers);
        return request.headers.get("x-mfa-token") === "654321"
          ? HttpResponse.json({ deleted: true })
          : new FakeApi(server).challenge("step_up_required", 0);
      }),
    );
    const onChallenge = async () => ({ code: "654321" });
    const mfa = client({ onChallenge });
    const res = await send(mfa, "/account", { method: "DELETE", oneShot: true });
    expect(res).toEqual({ status: 200, body: { deleted: true } });
    expect(seen.map((h) => h.get("x-mfa-token"))).toEqual([null, "654321"]);
    expect(mfa.getSnapshot().session).toBeNull();
  });
});

describe("axios redirects", () => {
  it("still drops credentials on a hop to another origin when axios has a beforeRedirect of its own", async () => {
    let foreign: Headers | undefined;
    server.use(
      http.get(
        `${ORIGIN}/hop/away`,
        () => new HttpResponse(null, { status: 302, headers: { location: `${OTHER}/landing` } }),
      ),
      http.get(`${OTHER}/landing`, ({ request }) => {
        foreign = request.headers;
        return HttpResponse.json({ where: "other" });
      }),
    );
    new FakeApi(server);
    const mfa = client();
    const api = axios.create({ baseURL: ORIGIN, beforeRedirect: () => {} });
    const hooks: string[] = [];
    mfa.wrap(api);
    await api.get("/hop/away", {
      headers: { "X-Session-Token": "mine" },
      beforeRedirect: (options: Record<string, unknown>) => void hooks.push(String(options.href)),
    });
    expect(hooks).toEqual([`${OTHER}/landing`]);
    expect(foreign?.has("x-session-token")).toBe(false);
    expect(foreign?.has("authorization")).toBe(false);
  });
});
