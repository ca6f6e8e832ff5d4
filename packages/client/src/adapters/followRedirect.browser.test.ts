import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { client } from "../test/adapters";
import { FakeApi, ORIGIN, OTHER } from "../test/fakeApi";
import { useServer } from "../test/server";

// The default build swaps this module in (see tsup.config.ts); the tests elsewhere run the `node`
// build's follower.
vi.mock("./followRedirect", () => import("./followRedirect.browser"));

const server = useServer();

describe("mfa.fetch in the default (browser) build", () => {
  it("hands back a visible redirect of a request with credentials instead of following it", async () => {
    let reached = false;
    server.use(
      http.get(
        `${ORIGIN}/hop`,
        () => new HttpResponse(null, { status: 302, headers: { location: `${OTHER}/landing` } }),
      ),
      http.get(`${OTHER}/landing`, () => {
        reached = true;
        return HttpResponse.json({});
      }),
    );
    new FakeApi(server);
    const res = await client().fetch("/hop");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`${OTHER}/landing`);
    expect(reached).toBe(false);
  });

  it("lets fetch follow the redirects of requests without credentials", async () => {
    server.use(
      http.get(
        `${OTHER}/hop`,
        () => new HttpResponse(null, { status: 302, headers: { location: `${OTHER}/landing` } }),
      ),
      http.get(`${OTHER}/landing`, () => HttpResponse.json({ where: "landing" })),
    );
    const res = await client().fetch(`${OTHER}/hop`);
    expect(await res.json()).toEqual({ where: "landing" });
  });
});
