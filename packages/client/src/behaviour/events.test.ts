import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import type { MfaEvent } from "../index";
import { adapterCases, client } from "../test/adapters";
import { FakeApi, ORIGIN } from "../test/fakeApi";
import { useServer } from "../test/server";

const server = useServer();

describe.each(adapterCases)("events ($name)", ({ send }) => {
  it("tells onEvent about a refresh and a step-up, in order", async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    const events: MfaEvent[] = [];
    const mfa = client({
      refreshAccessToken: async () => "t2",
      onChallenge: async (_, { attempt }) => ({ code: attempt === 1 ? "bad" : "123456" }),
      onEvent: (e) => events.push(e),
    });
    await send(mfa, "/data/mfa/one");
    expect(events.map((e) => e.type)).toEqual([
      "token.refreshed",
      "stepup.required",
      "stepup.failed",
      "stepup.succeeded",
    ]);
    expect(events[3]).toMatchObject({ session: { acr: "mfa", amr: ["otp"] } });
  });

  it("never lets a throwing listener break a request", async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    let calls = 0;
    server.use(
      http.get(`${ORIGIN}/data/mfa/flaky`, () => {
        calls++;
        return calls === 1 ? new HttpResponse(null, { status: 503 }) : undefined;
      }),
    );
    const mfa = client({
      retry: { baseDelayMs: 1 },
      refreshAccessToken: async () => "t2",
      onChallenge: async () => ({ code: "123456" }),
      onEvent: () => {
        throw new Error("listener bug");
      },
    });
    mfa.subscribe(() => {
      throw new Error("subscriber bug");
    });
    expect((await send(mfa, "/data/mfa/flaky")).status).toBe(200);
  });
});
