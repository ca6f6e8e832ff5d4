import axios from "axios";
import { describe, expect, it, vi } from "vitest";
import { createMfaClient } from "../createMfaClient";

// The default build swaps this module in (see tsup.config.ts); the tests elsewhere run the `node`
// build's guard.
vi.mock("./redirectGuard", () => import("./redirectGuard.browser"));

describe("wrapped axios in the default (browser) build", () => {
  it("adds no beforeRedirect hook, and leaves the request's own alone", async () => {
    const seen: unknown[] = [];
    const api = createMfaClient({ getAccessToken: () => "t" }).wrap(
      axios.create({
        baseURL: "https://api.example.com",
        adapter: async (config) => {
          seen.push(config.beforeRedirect);
          return { data: {}, status: 200, statusText: "OK", headers: {}, config, request: {} };
        },
      }),
    );
    const own = () => {};
    await api.get("/a");
    await api.get("/b", { beforeRedirect: own } as never);
    expect(seen).toEqual([undefined, own]);
  });
});
