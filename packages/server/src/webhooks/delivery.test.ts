import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { MfaEvent } from "../events/types";
import { testKit, totpCode, wrong } from "../testing/fixtures";
import { nodeWebhookTransport } from "./nodeTransport";
import { verifyWebhook } from "./verifyWebhook";

// Deliveries to a real receiver on 127.0.0.1, on the kit's virtual clock: the test moves time, the
// sockets are real. Latency is counted in virtual time from the event to its arrival.

const SECRET = `whsec_${Buffer.alloc(32, 5).toString("base64")}`;

interface Arrival {
  id: string;
  userId: string;
  at: number;
  arrivedAt: number;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
  });

function receiver(clock: { now: number }) {
  const arrivals: Arrival[] = [];
  const refused: string[] = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const result = await verifyWebhook(
      { headers: req.headers as Record<string, string>, body },
      SECRET,
      { now: () => clock.now },
    );
    if (!result.ok) {
      refused.push(result.reason);
      res.writeHead(400).end();
      return;
    }
    const event = result.payload.data;
    arrivals.push({ id: result.id, userId: event.userId, at: event.at, arrivedAt: clock.now });
    res.writeHead(204).end();
  });
  const listen = (port = 0) =>
    new Promise<number>((resolve) =>
      server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
    );
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { arrivals, refused, server, listen, close };
}

const p99 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
};

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
  vi.useRealTimers();
});

async function setup() {
  const transport = nodeWebhookTransport();
  const clockRef = { now: 0 };
  const rx = receiver(clockRef);
  const port = await rx.listen();
  const emitted: MfaEvent[] = [];
  const kit = testKit({
    webhooks: [{ url: `http://127.0.0.1:${port}/mfa-events`, secret: SECRET }],
    // The test drives delivery rounds itself; the poll stays out of the way.
    webhookDelivery: { transport, pollMs: 3_600_000, onError: () => {} },
    onEvent: (e) => void emitted.push(e),
  });
  clockRef.now = kit.clock.now;
  const tick = (ms: number) => {
    kit.tick(ms);
    clockRef.now = kit.clock.now;
  };
  cleanup.push(
    () => kit.mfa.webhooks!.close(),
    () => transport.destroy(),
    () => (rx.server.listening ? rx.close() : undefined),
  );
  /** One user's life: enrolled, three wrong codes, locked (five events). */
  const activity = async (userId: string) => {
    const { factorId, secret } = await kit.mfa.enrollTotp(userId);
    await kit.mfa.activateFactor(userId, factorId, totpCode(secret, kit.clock.now));
    for (let i = 0; i < 3; i++) {
      await kit.mfa.verify({ userId, code: wrong(totpCode(secret, kit.clock.now + 90_000)) });
    }
  };
  const settle = async () => {
    await kit.mfa.flushEvents();
    await kit.mfa.webhooks!.deliver();
    await kit.mfa.webhooks!.idle();
  };
  return { kit, rx, port, emitted, tick, activity, settle, transport };
}

describe("webhooks to a local receiver", () => {
  it("arrive with a p99 under 5 s while the receiver is up", async () => {
    const { rx, emitted, tick, activity, settle } = await setup();
    for (let u = 0; u < 100; u++) {
      await activity(`user${u}`);
      tick(100);
      if (u % 10 === 9) await settle();
    }
    await settle();
    expect(rx.refused).toEqual([]);
    expect(rx.arrivals).toHaveLength(emitted.length);
    expect(emitted.length).toBe(500);
    const latency = rx.arrivals.map((a) => a.arrivedAt - a.at);
    expect(p99(latency)).toBeLessThan(5_000);
  });

  it("with the receiver down for a while and back: every event once per id, none lost, in order per user", async () => {
    const { rx, port, emitted, tick, activity, settle } = await setup();
    await activity("before");
    await settle();
    await rx.close();
    // Three minutes of outage: events keep happening, every try is refused.
    for (let s = 0; s < 180; s++) {
      if (s % 6 === 0) await activity(`user${s / 6}`);
      tick(1_000);
      await settle();
    }
    expect(rx.arrivals).toHaveLength(5);
    await rx.listen(port);
    for (
      let s = 0;
      s < 15 * 60 && new Set(rx.arrivals.map((a) => a.id)).size < emitted.length;
      s++
    ) {
      tick(1_000);
      await settle();
    }
    expect(rx.refused).toEqual([]);
    const firstById = new Map<string, Arrival>();
    for (const a of rx.arrivals) if (!firstById.has(a.id)) firstById.set(a.id, a);
    // Exactly once per id after de-duplication, none lost.
    expect([...firstById.keys()].sort()).toEqual(emitted.map((e) => e.id).sort());
    // In order per user: arrivals (deduplicated) follow the order the user's events happened in.
    const users = new Set(emitted.map((e) => e.userId));
    for (const user of users) {
      const sent = emitted.filter((e) => e.userId === user).map((e) => e.id);
      const seen = [...firstById.values()].filter((a) => a.userId === user).map((a) => a.id);
      expect(seen).toEqual(sent);
    }
    // Every event is delivered within the 15-minute window.
    const latency = [...firstById.values()].map((a) => a.arrivedAt - a.at);
    expect(Math.max(...latency)).toBeLessThanOrEqual(15 * 60_000);
  });

  it("pools connections: keep-alive 60 s, 100 per host, 1 000 in all", async () => {
    const { transport, activity, settle, rx } = await setup();
    const { http } = transport.agents;
    expect((http as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
    expect(http.maxSockets).toBe(100);
    expect(http.maxTotalSockets).toBe(1_000);
    expect((http as unknown as { options: { timeout: number } }).options.timeout).toBe(60_000);
    const connections = new Set<unknown>();
    rx.server.on("connection", (socket) => connections.add(socket));
    for (let u = 0; u < 5; u++) {
      await activity(`u${u}`);
      await settle();
    }
    // 25 requests one after another: one connection, reused.
    expect(rx.arrivals).toHaveLength(25);
    expect(connections.size).toBe(1);
  });

  it("gives up on a receiver that does not answer after 10 s", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const hang = createServer(() => {
      // never answers
    });
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", () => r()));
    cleanup.push(
      () =>
        new Promise<void>((r) => {
          hang.close(() => r());
          hang.closeAllConnections();
        }),
    );
    const transport = nodeWebhookTransport();
    cleanup.push(() => transport.destroy());
    const sent = transport({
      url: `http://127.0.0.1:${(hang.address() as AddressInfo).port}/`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
      timeoutMs: 10_000,
    });
    const outcome = sent.then(
      () => "answered",
      (e: Error) => e.message,
    );
    await vi.advanceTimersByTimeAsync(9_999);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatch(/timed out after 10000 ms/);
  });
});
