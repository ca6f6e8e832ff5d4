import { fileURLToPath } from "node:url";
import { redisUnavailableReason, startRedisServer } from "@mfa-kit/test-utils";
import autocannon, { type Result } from "autocannon";
import { Redis } from "ioredis";
import { type NodeProcess, startNodeProcess } from "./nodeProcess";

// `npm run bench`: one server instance on loopback, autocannon against the same JSON route served
// bare and behind `requireMfa` (a valid session), with the memory store and with Redis. Prints
// requests/s, p99 and the server's CPU time per request of each, the guarded/unguarded ratios,
// and the Redis round trips of one session check and of one code verification (counted with
// MONITOR, commands run inside Lua scripts excluded).

const CONNECTIONS = 32;
const SLICES = 5;
const SLICE_SECONDS = 1;
const GOALS = { memory: 0.9, redis: 0.7 } as const;

interface Ready {
  port: number;
  token: string;
  backupCodes: string[];
  accessToken: string;
}

interface Measured {
  rps: number;
  p99: number;
  /** Server CPU time per request, in microseconds. */
  cpu: number;
}

const serverScript = fileURLToPath(new URL("./benchServer.js", import.meta.url));

const startServer = (args: string[]) =>
  startNodeProcess<Ready>(serverScript, args, {
    parseReady: (line) => (line.startsWith("{") ? (JSON.parse(line) as Ready) : undefined),
  });

async function hit(url: string, headers: Record<string, string>, seconds: number): Promise<Result> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  }
  return result;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Unguarded and guarded in alternating one-second slices after a warm-up of each, so load from
 * other processes falls on both alike; the median slice of each is reported.
 */
async function measure(server: NodeProcess<Ready>) {
  const base = `http://127.0.0.1:${server.ready.port}`;
  const routes = {
    open: { url: `${base}/open`, headers: {} },
    guarded: { url: `${base}/guarded`, headers: { "X-Session-Token": server.ready.token } },
  };
  for (const route of Object.values(routes)) await hit(route.url, route.headers, 1);
  const slices: Record<keyof typeof routes, Measured[]> = { open: [], guarded: [] };
  for (let i = 0; i < SLICES; i++) {
    const order = i % 2 === 0 ? (["open", "guarded"] as const) : (["guarded", "open"] as const);
    for (const name of order) {
      await fetch(`${base}/__reset`);
      const result = await hit(routes[name].url, routes[name].headers, SLICE_SECONDS);
      const cpu = (await (await fetch(`${base}/__cpu`)).json()) as { microsPerRequest: number };
      slices[name].push({
        rps: result.requests.average,
        p99: result.latency.p99,
        cpu: cpu.microsPerRequest,
      });
    }
  }
  const summarise = (list: Measured[]): Measured => ({
    rps: median(list.map((m) => m.rps)),
    p99: median(list.map((m) => m.p99)),
    cpu: median(list.map((m) => m.cpu)),
  });
  return { open: summarise(slices.open), guarded: summarise(slices.guarded) };
}

/** Client commands (not script-internal ones) Redis received while `work` ran, per `count`. */
async function roundTrips(redisUrl: string, count: number, work: () => Promise<void>) {
  const client = new Redis(redisUrl);
  const monitor = await client.monitor();
  let commands = 0;
  monitor.on("monitor", (_time: string, _args: string[], source: string) => {
    if (source !== "lua") commands++;
  });
  await work();
  // MONITOR streams asynchronously: a PING on another connection, seen last, marks the end.
  const marker = new Redis(redisUrl, { enableReadyCheck: false });
  const seen = new Promise<void>((resolve) =>
    monitor.on("monitor", (_t: string, args: string[]) => {
      if (args[0]?.toLowerCase() === "echo" && args[1] === "bench-end") resolve();
    }),
  );
  await marker.echo("bench-end");
  await seen;
  marker.disconnect();
  monitor.disconnect();
  client.disconnect();
  return (commands - 1) / count; // less the marker
}

const row = (
  store: string,
  route: string,
  m: Measured,
  ratio?: { value: number; cpu: number; goal: number },
) => {
  const cells = [
    store.padEnd(7),
    route.padEnd(11),
    `${Math.round(m.rps).toString().padStart(6)} req/s`,
    `p99 ${m.p99.toFixed(0).padStart(3)} ms`,
    `server CPU ${m.cpu.toFixed(1).padStart(5)} µs/req`,
  ];
  if (ratio) {
    const verdict = ratio.value >= ratio.goal ? "met" : "MISSED";
    cells.push(
      `${ratio.value.toFixed(2)} × unguarded req/s (goal ≥ ${ratio.goal}: ${verdict}; ` +
        `${ratio.cpu.toFixed(2)} by server CPU)`,
    );
  }
  return cells.join("  ");
};

async function main() {
  const skip = redisUnavailableReason();
  if (skip) throw new Error(`The bench measures Redis too: ${skip}`);
  const redisServer = await startRedisServer();
  const started: NodeProcess<Ready>[] = [];
  try {
    console.log(
      `mfa-kit server bench: one instance on 127.0.0.1, autocannon ${CONNECTIONS} connections, ` +
        `median of ${SLICES} alternating ${SLICE_SECONDS} s slices per route (after a warm-up)`,
    );
    const memory = await startServer(["--store", "memory"]);
    started.push(memory);
    const mem = await measure(memory);
    await memory.stop();

    const redis = await startServer(["--store", "redis", "--redis-url", redisServer.url]);
    started.push(redis);
    const red = await measure(redis);

    const base = `http://127.0.0.1:${redis.ready.port}`;
    const checks = 100;
    const perCheck = await roundTrips(redisServer.url, checks, async () => {
      for (let i = 0; i < checks; i++) {
        const res = await fetch(`${base}/guarded`, {
          headers: { "X-Session-Token": redis.ready.token },
        });
        if (res.status !== 200) throw new Error(`session check answered ${res.status}`);
        await res.arrayBuffer();
      }
    });
    const codes = redis.ready.backupCodes.slice(0, 5);
    const perVerify = await roundTrips(redisServer.url, codes.length, async () => {
      for (const backupCode of codes) {
        const res = await fetch(`${base}/mfa/verify`, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${redis.ready.accessToken}`,
            "Content-Type": "application/json",
          },
          body: JSON.stringify({ backupCode }),
        });
        if (res.status !== 200) throw new Error(`verification answered ${res.status}`);
        await res.arrayBuffer();
      }
    });

    console.log(row("memory", "unguarded", mem.open));
    console.log(
      row("memory", "requireMfa", mem.guarded, {
        value: mem.guarded.rps / mem.open.rps,
        cpu: mem.open.cpu / mem.guarded.cpu,
        goal: GOALS.memory,
      }),
    );
    console.log(row("redis", "unguarded", red.open));
    console.log(
      row("redis", "requireMfa", red.guarded, {
        value: red.guarded.rps / red.open.rps,
        cpu: red.open.cpu / red.guarded.cpu,
        goal: GOALS.redis,
      }),
    );
    console.log(
      `redis round trips per session check (requireMfa): ${perCheck.toFixed(2)} (goal 1: ${
        perCheck <= 1 ? "met" : "MISSED"
      })`,
    );
    console.log(
      `redis round trips per code verification (POST /mfa/verify, backup code): ${perVerify.toFixed(2)}`,
    );
  } finally {
    for (const server of started) await server.stop();
    await redisServer.stop();
  }
}

await main();
