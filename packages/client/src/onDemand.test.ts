import { afterEach, describe, expect, it, vi } from "vitest";
import type { Engine } from "./engine/engine";
import type { createMfaClient as Create } from "./index";
import { mfaApiOf } from "./mfaApiCalls";
import { client } from "./test/adapters";
import { FakeApi, ORIGIN } from "./test/fakeApi";
import { useServer } from "./test/server";

const server = useServer();

/** A fresh copy of the client whose `import()` of `path` fails until `back()` is called. */
async function offline(path: string) {
  vi.resetModules();
  let down = true;
  vi.doMock(path, async (original) => {
    if (down) throw new TypeError("Failed to fetch dynamically imported module");
    return original();
  });
  const { createMfaClient } = (await import("./index")) as { createMfaClient: typeof Create };
  return { createMfaClient, back: () => (down = false) };
}

afterEach(() => {
  vi.doUnmock("./mfaApiCalls");
  vi.doUnmock("./engine/verifyLoop");
  vi.resetModules();
});

describe("parts loaded on demand", () => {
  it("mfa.api has every call of the loaded calls, no more", () => {
    const loaded = mfaApiOf({} as Engine);
    expect(Object.keys(client().api).sort()).toEqual(Object.keys(loaded).sort());
  });

  it("an mfa.api call whose code cannot load rejects with NETWORK; the next call loads it", async () => {
    new FakeApi(server);
    const { createMfaClient, back } = await offline("./mfaApiCalls");
    const mfa = createMfaClient({ baseUrl: ORIGIN, getAccessToken: () => "t1" });
    const error = await mfa.api.listFactors().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "MfaError", code: "NETWORK" });
    expect((error as Error).cause).toBeInstanceOf(Error);
    back();
    await expect(mfa.api.listFactors()).resolves.toMatchObject({ backupCodesRemaining: 5 });
  });

  it("a challenge whose verify loop cannot load rejects with STEP_UP_FAILED", async () => {
    new FakeApi(server);
    const { createMfaClient } = await offline("./engine/verifyLoop");
    const onChallenge = vi.fn(async () => ({ code: "123456" }));
    const mfa = createMfaClient({ baseUrl: ORIGIN, getAccessToken: () => "t1", onChallenge });
    const error = await mfa.fetch("/data/mfa/one").catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "MfaError", code: "STEP_UP_FAILED" });
    expect(onChallenge).not.toHaveBeenCalled();
    expect(mfa.getSnapshot()).toMatchObject({ status: "idle", pendingChallenge: null });
  });
});
