import { describe, expect, it, vi } from "vitest";
import { adapterCases, client } from "../test/adapters";
import { FakeApi } from "../test/fakeApi";
import { useServer } from "../test/server";

// The tab coordinator is its own chunk (dist/tabs.js), which size-limit measures apart from the
// main entry. That holds only while a client without tabs never imports it: its module factory
// runs on the first import, so counting the factory's runs counts the loads.
const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock("./tabCoordinator", async (importOriginal) => {
  loads.count++;
  return importOriginal();
});

const server = useServer();

describe("the tab coordinator, loaded on demand", () => {
  it("is never loaded by clients without tabs: requests, a token refresh, a step-up, sign-out", async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    for (const session of [undefined, { storage: "memory" as const }]) {
      for (const { send } of adapterCases) {
        const mfa = client({
          session,
          getAccessToken: () => "t1",
          refreshAccessToken: async () => "t2",
          onChallenge: async () => ({ code: api.code }),
        });
        expect((await send(mfa, "/data/item/1")).status).toBe(200);
        expect((await send(mfa, "/data/mfa/1")).status).toBe(200);
        await mfa.stepUp({ maxAge: 0 });
        mfa.signOut();
        await mfa.api.listFactors();
      }
    }
    const off = client({ tabs: false, session: { storage: "localStorage" } });
    off.signOut();
    await off.api.listFactors().catch(() => {});
    expect(loads.count).toBe(0);
  });

  it("is loaded once a client coordinates tabs", async () => {
    const mfa = client({ tabs: true });
    mfa.signOut();
    await vi.waitFor(() => expect(loads.count).toBe(1));
  });
});
