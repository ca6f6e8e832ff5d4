import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mfaPath } from "@mfa-kit/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { T0, type TestKit, testKit, totpCode, userWithTotp } from "../testing/fixtures";
import { testHandler } from "../testing/http";

const servers: Server[] = [];

/**
 * A source on 127.0.0.1 whose `Date` is the test clock plus `skewMs` (a whole number of seconds);
 * `tripMs` of the kit's clock pass while it answers (the round trip, on the kit's clock).
 */
async function source(kit: () => TestKit, skewMs: number, tripMs = 0) {
  const seen = { requests: 0, methods: [] as string[] };
  const server = createServer((req, res) => {
    seen.requests++;
    seen.methods.push(req.method ?? "");
    kit().tick(tripMs / 2);
    res.setHeader("Date", new Date(kit().clock.now + skewMs).toUTCString());
    kit().tick(tripMs / 2);
    res.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, seen };
}

/** A loopback URL nobody listens on. */
async function deadUrl() {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
});

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await Promise.all(
    servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
  );
});

describe("clockCheck", () => {
  it("takes the median of the sources' offsets, so one wrong source does not count", async () => {
    let kit!: TestKit;
    const sources = await Promise.all(
      [-61_000, -60_000, 3_600_000].map((skew) => source(() => kit, skew)),
    );
    kit = testKit({ clockCheck: { urls: sources.map((s) => s.url) } });
    // The sources are 60 s behind (their whole seconds + 500 ms): this server is 59.5 s ahead.
    expect(await kit.mfa.clockCheck!.check()).toBe(-59_500);
    expect(kit.mfa.clockCheck!.offsetMs).toBe(-59_500);
    expect(kit.mfa.clockCheck!.clockSide).toBe("server");
    expect(sources.map((s) => s.seen.methods)).toEqual([["HEAD"], ["HEAD"], ["HEAD"]]);
    await vi.advanceTimersByTimeAsync(1); // events are delivered on a timer
    expect(kit.eventsOf("clock.suspect")).toMatchObject([
      { userId: "", side: "server", aheadMs: 59_500, sources: 3 },
    ]);
    kit.mfa.clockCheck!.close();
  });

  it("takes the mean of the middle two of an even count, leaving out sources without a Date", async () => {
    let kit!: TestKit;
    const dateless = createServer((_req, res) => {
      res.sendDate = false;
      res.end();
    });
    servers.push(dateless);
    await new Promise<void>((resolve) => dateless.listen(0, "127.0.0.1", resolve));
    const live = await Promise.all(
      [50_000, -10_000, 20_000, 8_000].map((skew) => source(() => kit, skew)),
    );
    kit = testKit({
      clockCheck: {
        urls: [
          await deadUrl(),
          `http://127.0.0.1:${(dateless.address() as AddressInfo).port}/`,
          ...live.map((s) => s.url),
        ],
        timeoutMs: 1_000,
      },
    });
    // Sorted: -10 s, 8 s, 20 s, 50 s (+ 500 ms each): the middle two are 8.5 s and 20.5 s.
    expect(await kit.mfa.clockCheck!.check()).toBe(14_500);
    kit.mfa.clockCheck!.close();
  });

  it("counts exactly 30 s off as within, 31 s as off", async () => {
    let kit!: TestKit;
    const sources = await Promise.all([-30_000, -31_000].map((skew) => source(() => kit, skew)));
    const at = async (url: string) => {
      kit = testKit({ clockCheck: { urls: [url] } });
      kit.tick(500); // on a half second, the truncated Date + 500 ms is exact
      await kit.mfa.clockCheck!.check();
      kit.mfa.clockCheck!.close();
      return [kit.mfa.clockCheck!.offsetMs, kit.mfa.clockCheck!.clockSide];
    };
    expect(await at(sources[0]!.url)).toEqual([-30_000, "client"]);
    expect(await at(sources[1]!.url)).toEqual([-31_000, "server"]);
  });

  it("reads each Date at the middle of its round trip", async () => {
    let kit!: TestKit;
    // 40 s of round trip on the kit's clock; the source's clock is the kit's, so the offset is
    // only the truncated half second, whatever the trip.
    const slow = await source(() => kit, 0, 40_000);
    kit = testKit({ clockCheck: { urls: [slow.url] } });
    expect(await kit.mfa.clockCheck!.check()).toBe(500);
    expect(kit.mfa.clockCheck!.clockSide).toBe("client");
    kit.mfa.clockCheck!.close();
  });

  it("fires clock.suspect when the clock goes off, again only after it came back", async () => {
    let kit!: TestKit;
    let skew = 0;
    const server = createServer((_req, res) => {
      res.setHeader("Date", new Date(kit.clock.now + skew).toUTCString());
      res.end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    kit = testKit({ clockCheck: { urls: [url] } });
    const check = kit.mfa.clockCheck!;
    expect(await check.check()).toBe(500);
    skew = 45_000;
    await check.check();
    await check.check();
    skew = 0;
    await check.check();
    skew = -31_000;
    expect(await check.check()).toBe(-30_500);
    expect(check.clockSide).toBe("server");
    await vi.advanceTimersByTimeAsync(1); // events are delivered on a timer
    expect(kit.eventsOf("clock.suspect").map((e) => e.aheadMs)).toEqual([-45_500, 30_500]);
    check.close();
  });

  it("has no reading while no source answers with a Date", async () => {
    const kit = testKit({ clockCheck: { urls: [await deadUrl()], timeoutMs: 1_000 } });
    expect(await kit.mfa.clockCheck!.check()).toBeNull();
    expect(kit.mfa.clockCheck!.offsetMs).toBeNull();
    expect(kit.mfa.clockCheck!.clockSide).toBeUndefined();
    kit.mfa.clockCheck!.close();
  });

  it("samples at once and every everyMs on an unref'd timer, until close()", async () => {
    const intervals = vi.spyOn(globalThis, "setInterval");
    let kit!: TestKit;
    const src = await source(() => kit, 0);
    kit = testKit({ clockCheck: { urls: [src.url], everyMs: 60_000 } });
    const check = kit.mfa.clockCheck!;
    const timer = intervals.mock.results[0]?.value as { hasRef(): boolean };
    expect(timer.hasRef()).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    await vi.waitFor(() => expect(check.offsetMs).toBe(500));
    expect(src.seen.requests).toBe(1);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(src.seen.requests).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(src.seen.requests).toBe(2));
    // A sampling already under way is shared, not repeated.
    await Promise.all([check.check(), check.check()]);
    expect(src.seen.requests).toBe(3);
    check.close();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(src.seen.requests).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("asks nobody when closed at once", async () => {
    let kit!: TestKit;
    const src = await source(() => kit, 0);
    kit = testKit({ clockCheck: { urls: [src.url] } });
    kit.mfa.clockCheck!.close();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(src.seen.requests).toBe(0);
  });

  it.each([
    ["http://time.example.com/", /clockCheck\.urls\[0\] must be an https: URL/],
    ["ftp://127.0.0.1/", /clockCheck\.urls\[0\] must be an https: URL/],
    ["not a url", /clockCheck\.urls\[0\] must be an https: URL/],
  ])("refuses %s", (url, message) => {
    expect(() => testKit({ clockCheck: { urls: [url] } })).toThrow(message);
  });

  it("refuses an empty list and a bad everyMs, and accepts https and loopback http", () => {
    expect(() => testKit({ clockCheck: { urls: [] } })).toThrow(/clockCheck\.urls/);
    expect(() => testKit({ clockCheck: "x" as never })).toThrow(/clockCheck\.urls/);
    expect(() => testKit({ clockCheck: null as never })).toThrow(/clockCheck\.urls/);
    for (const everyMs of ["60000", Number.NaN, Number.POSITIVE_INFINITY, 999]) {
      expect(() =>
        testKit({ clockCheck: { urls: ["https://time.example.com/"], everyMs: everyMs as never } }),
      ).toThrow(/clockCheck\.everyMs must be a number >= 1000/);
    }
    expect(() =>
      testKit({ clockCheck: { urls: ["https://time.example.com/"], timeoutMs: 10 } }),
    ).toThrow(/clockCheck\.timeoutMs/);
    expect(() =>
      testKit({ clockCheck: { urls: ["https://time.example.com/"], everyMs: 0 } }),
    ).toThrow(/clockCheck\.everyMs/);
    const kit = testKit({
      clockCheck: { urls: ["https://time.example.com/", "http://localhost:1/"] },
    });
    expect(kit.mfa.clockCheck).not.toBeNull();
    kit.mfa.clockCheck!.close();
    expect(testKit().mfa.clockCheck).toBeNull();
  });
});

describe("clockCheck in problems and hints", () => {
  it("names the server's clock in step-up and verify problems when it is off", async () => {
    let kit!: TestKit;
    const ahead = await source(() => kit, -120_000);
    kit = testKit({ clockCheck: { urls: [ahead.url] } });
    await kit.mfa.clockCheck!.check();
    const { secret } = await userWithTotp(kit);
    kit.tick(600_000);
    const { call } = testHandler(kit);
    const stepUp = await call("POST", mfaPath("regenerateBackupCodes", {}));
    expect(stepUp.status).toBe(401);
    expect(stepUp.body).toMatchObject({ clockSide: "server" });
    // A code of 2 minutes ago fits a server 2 minutes ahead: no blame on the authenticator.
    const late = await call("POST", mfaPath("verify", {}), {
      body: { code: totpCode(secret, kit.clock.now - 120_000) },
    });
    expect(late.body).toMatchObject({ attemptsLeft: 2, clockSide: "server" });
    expect(late.body).not.toHaveProperty("hint");
    kit.mfa.clockCheck!.close();
  });

  it("names the device's clock when the server's is right", async () => {
    let kit!: TestKit;
    const right = await source(() => kit, 0);
    kit = testKit({ clockCheck: { urls: [right.url] } });
    await kit.mfa.clockCheck!.check();
    const { secret } = await userWithTotp(kit);
    kit.tick(600_000);
    const { call } = testHandler(kit);
    const late = await call("POST", mfaPath("verify", {}), {
      body: { code: totpCode(secret, kit.clock.now - 120_000) },
    });
    expect(late.body).toMatchObject({
      clockSide: "client",
      hint: "authenticator_clock_behind",
      behindS: 120,
    });
    kit.mfa.clockCheck!.close();
  });

  it("says nothing of clocks without the option", async () => {
    const kit = testKit();
    expect(kit.clock.now).toBe(T0);
    const { call } = testHandler(kit);
    const stepUp = await call("POST", mfaPath("regenerateBackupCodes", {}));
    expect(stepUp.status).toBe(401);
    expect(stepUp.body).not.toHaveProperty("clockSide");
  });
});
