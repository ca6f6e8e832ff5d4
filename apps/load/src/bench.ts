import { fileURLToPath } from "node:url";
import {
  postgresUnavailableReason,
  redisUnavailableReason,
  startPostgresServer,
  startRedisServer,
} from "@mfa-kit/test-utils";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { generateSync } from "otplib";
import { type NodeProcess, startNodeProcess } from "./nodeProcess";

// `npm run bench`: one server instance on loopback, autocannon against the same JSON route served
// bare and behind `requireMfaNode` (a valid session), with the memory store and with Redis. Both
// routes get the same request (session header included) from the same connections; slices of the
// two alternate, so load from other processes falls on both alike. Prints requests/s, p99 and the
// server's CPU time per request of each, the guarded/unguarded ratios, and the Redis round trips
// of one session check and of one code verification (counted with MONITOR, commands run inside
// Lua scripts excluded). `BENCH_SLICES=1` also prints every pair of slices.

/**
 * Enough connections that both routes are saturated: the unguarded route is from about 32 on, and
 * a route with a store round trip needs more requests in flight to keep the server busy.
 */
const CONNECTIONS = 64;
/** Pairs of slices per store; `BENCH_PAIRS` overrides. The slower the machine's noise, the more. */
const PAIRS = Number(process.env.BENCH_PAIRS ?? 10);
/** autocannon runs whole seconds. */
const SLICE_SECONDS = 1;
const GOALS = { memory: 0.9, redis: 0.7, postgres: 0.6 } as const;

interface TotpUser {
  userId: string;
  factorId: string;
  secret: string;
  accessToken: string;
}

/** What benchServer.ts announces once it listens. */
interface BenchReady {
  port: number;
  /** A live MFA session of the main user. */
  token: string;
  /** The main user's unused backup codes. */
  backupCodes: string[];
  /** The main user's primary access token. */
  accessToken: string;
  /** Users with a fresh TOTP factor (activated with the previous step's code). */
  totpUsers: TotpUser[];
}

interface Measured {
  rps: number;
  p99: number;
  /** Server CPU time per request, in microseconds. */
  cpu: number;
}

const serverScript = fileURLToPath(new URL("./benchServer.js", import.meta.url));

const startServer = (args: string[]) =>
  startNodeProcess<BenchReady>(serverScript, args, {
    parseReady: (line) => (line.startsWith("{") ? (JSON.parse(line) as BenchReady) : undefined),
  });

async function hit(url: string, headers: Record<string, string>) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SLICE_SECONDS,
    headers,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  }
  return { rps: result.requests.total / result.duration, p99: result.latency.p99 };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Unguarded and guarded in back-to-back pairs of short slices (which one goes first alternates),
 * after a warm-up of each: a pair sees the same background load, so the median of the pairs'
 * ratios is what the guard costs. Medians of each route's slices are reported alongside.
 */
async function measure(server: NodeProcess<BenchReady>) {
  const base = `http://127.0.0.1:${server.ready.port}`;
  const headers = { "X-Session-Token": server.ready.token };
  const urls = { open: `${base}/open`, guarded: `${base}/guarded` };
  for (const url of Object.values(urls)) await hit(url, headers);
  const slices: Record<keyof typeof urls, Measured[]> = { open: [], guarded: [] };
  for (let i = 0; i < PAIRS; i++) {
    const order = i % 2 === 0 ? (["open", "guarded"] as const) : (["guarded", "open"] as const);
    for (const name of order) {
      await fetch(`${base}/__reset`);
      const { rps, p99 } = await hit(urls[name], headers);
      const cpu = (await (await fetch(`${base}/__cpu`)).json()) as { microsPerRequest: number };
      slices[name].push({ rps, p99, cpu: cpu.microsPerRequest });
    }
  }
  const summarise = (list: Measured[]): Measured => ({
    rps: median(list.map((m) => m.rps)),
    p99: median(list.map((m) => m.p99)),
    cpu: median(list.map((m) => m.cpu)),
  });
  const pairs = slices.open.map((open, i) => [open, slices.guarded[i]!] as const);
  if (process.env.BENCH_SLICES) {
    for (const [open, guarded] of pairs) {
      console.log(
        `  open ${Math.round(open.rps)} req/s ${open.cpu.toFixed(1)} µs  guarded ${Math.round(guarded.rps)} req/s ${guarded.cpu.toFixed(1)} µs`,
      );
    }
  }
  return {
    open: summarise(slices.open),
    guarded: summarise(slices.guarded),
    ratio: median(pairs.map(([open, guarded]) => guarded.rps / open.rps)),
    cpuRatio: median(pairs.map(([open, guarded]) => open.cpu / guarded.cpu)),
  };
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
    store.padEnd(8),
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

/** POST /mfa/verify as `accessToken`'s user; throws unless it answers 200. */
async function verify(base: string, accessToken: string, body: Record<string, string>) {
  const res = await fetch(`${base}/mfa/verify`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 200)
    throw new Error(`verification answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** PostgreSQL statements (round trips) the bench server sent while `work` ran, per `count`. */
async function statementsPer(base: string, count: number, work: () => Promise<void>) {
  await fetch(`${base}/__reset`);
  await work();
  const { statements } = (await (await fetch(`${base}/__statements`)).json()) as {
    statements: number;
  };
  return statements / count;
}

async function main() {
  const skip = redisUnavailableReason() ?? postgresUnavailableReason();
  if (skip) throw new Error(`The bench measures Redis and PostgreSQL too: ${skip}`);
  const redisServer = await startRedisServer();
  const postgresServer = await startPostgresServer();
  const started: NodeProcess<BenchReady>[] = [];
  try {
    console.log(
      `mfa-kit server bench: one instance on 127.0.0.1, autocannon ${CONNECTIONS} connections, ` +
        `${PAIRS} back-to-back pairs of ${SLICE_SECONDS} s slices per store (after a warm-up); ` +
        "medians, ratio = median of the pairs' ratios",
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
    // The instance has read the main user's factors (its own sign-in): a warm snapshot.
    const codes = redis.ready.backupCodes.slice(0, 5);
    const perBackupCode = await roundTrips(redisServer.url, codes.length, async () => {
      for (const backupCode of codes) await verify(base, redis.ready.accessToken, { backupCode });
    });
    const totpCode = (user: TotpUser) => ({
      factorId: user.factorId,
      code: generateSync({ secret: user.secret }),
    });
    // Half the TOTP users first list their factors (as a client does before it asks for a code),
    // the other half verify straight after activation, on an instance that has not read them since.
    const warm = redis.ready.totpUsers.slice(0, redis.ready.totpUsers.length / 2);
    const cold = redis.ready.totpUsers.slice(warm.length);
    for (const user of warm) {
      const res = await fetch(`${base}/mfa/factors`, {
        headers: { Authorization: `Bearer ${user.accessToken}` },
      });
      if (res.status !== 200) throw new Error(`listing factors answered ${res.status}`);
      await res.arrayBuffer();
    }
    const perTotp = await roundTrips(redisServer.url, warm.length, async () => {
      for (const user of warm) await verify(base, user.accessToken, totpCode(user));
    });
    const perColdTotp = await roundTrips(redisServer.url, cold.length, async () => {
      for (const user of cold) await verify(base, user.accessToken, totpCode(user));
    });

    await redis.stop();

    const postgres = await startServer([
      "--store",
      "postgres",
      "--database-url",
      postgresServer.url,
    ]);
    started.push(postgres);
    const pgm = await measure(postgres);
    const pgBase = `http://127.0.0.1:${postgres.ready.port}`;
    const pgPerCheck = await statementsPer(pgBase, checks, async () => {
      for (let i = 0; i < checks; i++) {
        const res = await fetch(`${pgBase}/guarded`, {
          headers: { "X-Session-Token": postgres.ready.token },
        });
        if (res.status !== 200) throw new Error(`session check answered ${res.status}`);
        await res.arrayBuffer();
      }
    });
    const pgCodes = postgres.ready.backupCodes.slice(0, 5);
    const pgPerBackupCode = await statementsPer(pgBase, pgCodes.length, async () => {
      for (const backupCode of pgCodes) {
        await verify(pgBase, postgres.ready.accessToken, { backupCode });
      }
    });
    const pgWarm = postgres.ready.totpUsers.slice(0, postgres.ready.totpUsers.length / 2);
    for (const user of pgWarm) {
      const res = await fetch(`${pgBase}/mfa/factors`, {
        headers: { Authorization: `Bearer ${user.accessToken}` },
      });
      if (res.status !== 200) throw new Error(`listing factors answered ${res.status}`);
      await res.arrayBuffer();
    }
    const pgPerTotp = await statementsPer(pgBase, pgWarm.length, async () => {
      for (const user of pgWarm) await verify(pgBase, user.accessToken, totpCode(user));
    });

    console.log(row("memory", "unguarded", mem.open));
    console.log(
      row("memory", "requireMfa", mem.guarded, {
        value: mem.ratio,
        cpu: mem.cpuRatio,
        goal: GOALS.memory,
      }),
    );
    console.log(row("redis", "unguarded", red.open));
    console.log(
      row("redis", "requireMfa", red.guarded, {
        value: red.ratio,
        cpu: red.cpuRatio,
        goal: GOALS.redis,
      }),
    );
    console.log(row("postgres", "unguarded", pgm.open));
    console.log(
      row("postgres", "requireMfa", pgm.guarded, {
        value: pgm.ratio,
        cpu: pgm.cpuRatio,
        goal: GOALS.postgres,
      }),
    );
    const met = (value: number) => (value <= 1 ? "met" : "MISSED");
    console.log(
      `redis round trips per session check (requireMfa): ${perCheck.toFixed(2)} (goal 1: ${met(perCheck)})`,
    );
    console.log(
      `redis round trips per code verification (POST /mfa/verify): TOTP ${perTotp.toFixed(2)}, ` +
        `backup code ${perBackupCode.toFixed(2)} (goal 1: ${met(Math.max(perTotp, perBackupCode))}); ` +
        `TOTP on an instance that has not read the user's factors yet: ${perColdTotp.toFixed(2)}`,
    );
    console.log(
      `postgres round trips per session check (requireMfa): ${pgPerCheck.toFixed(2)} (goal 1: ${met(pgPerCheck)})`,
    );
    console.log(
      `postgres round trips per code verification (POST /mfa/verify): TOTP ${pgPerTotp.toFixed(2)}, ` +
        `backup code ${pgPerBackupCode.toFixed(2)} ` +
        "(one transaction: BEGIN, the user's row locked and read, the changes written, COMMIT)",
    );
  } finally {
    for (const server of started) await server.stop();
    await redisServer.stop();
    await postgresServer.destroy();
  }
}

await main();
