import {
  type RedisCluster,
  redisClusterUnavailableReason,
  startRedisCluster,
} from "@mfa-kit/test-utils";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MfaServerOptions } from "../options";
import { type TestKit, testKit, totpCode } from "../testing/fixtures";
import type { MemoryStore } from "./memory";
import { type RedisStore, redisStore } from "./redis";
import { describeStoreContract } from "./storeContract.testkit";

const skipReason = redisClusterUnavailableReason();
if (skipReason) console.warn(`Skipping the Redis Cluster store tests: ${skipReason}`);

let cluster: RedisCluster;
/** Every ioredis client the suite opened, closed in `afterAll`. */
const clients: (Cluster | Redis)[] = [];
let run = 0;
const freshPrefix = () => `cl${process.pid}-${run++}:`;

const connect = () => {
  const client = new Cluster(cluster.nodes, { slotsRefreshTimeout: 2_000 });
  client.on("error", () => {});
  clients.push(client);
  return client;
};
const ready = (client: Cluster) =>
  client.status === "ready"
    ? Promise.resolve()
    : new Promise<void>((resolve, reject) => {
        client.once("ready", resolve);
        client.once("end", () => reject(new Error("the cluster client ended")));
      });

/** One direct connection per master, for the slot commands of a resharding. */
const masters = () =>
  cluster.nodes.map(({ host, port }) => {
    const node = new Redis({ host, port });
    clients.push(node);
    return node;
  });

/** Two kits, as two server instances: each with its own cluster client, one clock. */
interface Pair {
  a: TestKit;
  b: TestKit;
  tick(ms: number): void;
}

async function pair(
  prefix = freshPrefix(),
  options: Partial<MfaServerOptions> = {},
): Promise<Pair> {
  const make = async () => {
    const client = connect();
    await ready(client);
    // The kit only uses the MfaStore methods; the fixture's type names the memory store.
    const store = redisStore(client, { prefix }) as unknown as MemoryStore;
    return testKit({ ...options, store });
  };
  const [a, b] = await Promise.all([make(), make()]);
  return {
    a,
    b,
    tick(ms) {
      a.tick(ms);
      b.tick(ms);
    },
  };
}

/** A user with an active TOTP factor, enrolled on instance A. */
async function enrolled({ a, tick }: Pair, userId: string) {
  const { factorId, secret } = await a.mfa.enrollTotp(userId);
  const activated = await a.mfa.activateFactor(userId, factorId, totpCode(secret, a.clock.now));
  if (!activated.ok) throw new Error(activated.reason);
  tick(30_000);
  return {
    factorId,
    secret,
    backupCodes: activated.backupCodes ?? [],
    sessionToken: activated.session!.token,
  };
}

const spread = <T>(p: Pair, n: number, f: (kit: TestKit, i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => f(i % 2 === 0 ? p.a : p.b, i)));

/** Every key under `prefix` on every master. */
async function keysOf(prefix: string): Promise<string[]> {
  const nodes = masters();
  const found = await Promise.all(nodes.map((node) => node.keys(`${prefix}*`)));
  for (const node of nodes) node.disconnect();
  return found.flat().sort();
}

describe.skipIf(skipReason !== undefined)("redisStore on a three-master Redis Cluster", () => {
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = connect();
    await ready(client);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await cluster?.stop();
  }, 30_000);

  describeStoreContract("redisStore on Redis Cluster", () =>
    redisStore(client, { prefix: freshPrefix() }),
  );

  it("puts every key of a user, sessions and their index included, in the user's hash slot", async () => {
    const prefix = freshPrefix();
    const p = await pair(prefix);
    const users = ["alice", "bob{x}", "carol"];
    const tokens: string[] = [];
    for (const userId of users) {
      const { secret, sessionToken } = await enrolled(p, userId);
      tokens.push(sessionToken);
      const verified = await p.b.mfa.verify({ userId, code: totpCode(secret, p.b.clock.now) });
      if (!verified.ok) throw new Error(verified.reason);
      tokens.push(verified.session.token);
    }
    const keys = await keysOf(prefix);
    const slotOf = async (key: string) => Number(await client.cluster("KEYSLOT", key));
    const store = p.a.store as unknown as RedisStore;
    const slots = new Map<string, Set<number>>();
    for (const userId of users) {
      const tag = store.sessionTokenTag(userId);
      const own = keys.filter((key) => key.startsWith(`${prefix}{${tag}}:`));
      expect(own.length).toBeGreaterThanOrEqual(5);
      slots.set(userId, new Set(await Promise.all(own.map(slotOf))));
      expect([...slots.get(userId)!]).toEqual([Number(await client.cluster("KEYSLOT", tag))]);
    }
    // Nothing outside the users' tags; these three ids hash to three different slots.
    expect(
      keys.every((key) => users.some((u) => key.includes(`{${store.sessionTokenTag(u)}}`))),
    ).toBe(true);
    expect(new Set([...slots.values()].flatMap((s) => [...s])).size).toBe(3);
    // The tokens carry the tag and 256 random bits; a check on the other instance finds them.
    for (const [i, token] of tokens.entries()) {
      const userId = users[Math.floor(i / 2)]!;
      expect(token).toMatch(new RegExp(`^${store.sessionTokenTag(userId)}\\.[A-Za-z0-9_-]{43}$`));
      const check = await p.b.mfa.checkSession(token);
      expect(check.ok && check.claims.userId).toBe(userId);
    }
  });

  it("accepts the same TOTP code exactly once among 50 parallel attempts spread over two instances", async () => {
    const p = await pair();
    const { secret } = await enrolled(p, "totp-racer");
    const code = totpCode(secret, p.a.clock.now);
    const results = await spread(p, 50, (kit) => kit.mfa.verify({ userId: "totp-racer", code }));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results) {
      if (!r.ok) expect(["code_reused", "locked", "rate_limited"]).toContain(r.reason);
    }
  });

  it("revokes every session of a user across both instances, or all but the caller's", async () => {
    const p = await pair();
    const { secret, sessionToken } = await enrolled(p, "revoked");
    const tokens = [sessionToken];
    for (let i = 0; i < 6; i++) {
      const kit = i % 2 === 0 ? p.a : p.b;
      const verified = await kit.mfa.verify({
        userId: "revoked",
        code: totpCode(secret, kit.clock.now),
      });
      if (!verified.ok) throw new Error(verified.reason);
      tokens.push(verified.session.token);
      p.tick(30_000);
    }
    const other = await enrolled(p, "bystander");
    const live = async (kit: TestKit, token: string) => (await kit.mfa.checkSession(token)).ok;

    const keep = tokens[3]!;
    expect(await p.a.mfa.revokeSessions("revoked", { except: keep })).toBe(6);
    for (const token of tokens) {
      expect(await live(p.a, token)).toBe(token === keep);
      expect(await live(p.b, token)).toBe(token === keep);
    }
    expect(await live(p.b, other.sessionToken)).toBe(true);
    expect(await p.b.mfa.revokeSessions("revoked")).toBe(1);
    expect(await live(p.a, keep)).toBe(false);
    expect(await p.b.mfa.revokeSessions("revoked")).toBe(0);
    expect(await live(p.a, other.sessionToken)).toBe(true);
  });

  it("accepts each code once, none twice and none lost, while the user's slot moves to another master", async () => {
    // The replays of each round count as failures: a limit they never reach keeps every round's
    // outcome the store's alone.
    const prefix = freshPrefix();
    const p = await pair(prefix, { limits: { maxFailures: 1_000 } });
    // Two more instances on the same clock: each instance runs one user's calls one at a time, so
    // attempts meant for the moment the keys are split need instances of their own.
    const q = await pair(prefix, { limits: { maxFailures: 1_000 }, now: () => p.a.clock.now });
    const userId = "resharded";
    const { secret, backupCodes } = await enrolled(p, userId);
    const store = p.a.store as unknown as RedisStore;
    const slot = Number(await client.cluster("KEYSLOT", store.sessionTokenTag(userId)));
    const nodes = masters();
    const ids = await Promise.all(nodes.map(async (n) => String(await n.cluster("MYID"))));
    const owner = async () => {
      const ranges = await client.cluster("SLOTS");
      const range = ranges.find(([first, last]) => first <= slot && slot <= last)!;
      return cluster.nodes.findIndex((n) => n.port === range[2]![1]);
    };
    const from = await owner();
    const to = (from + 1) % nodes.length;
    const source = nodes[from]!;
    const target = nodes[to]!;
    const moved = Number(await source.cluster("COUNTKEYSINSLOT", slot));
    expect(moved).toBeGreaterThanOrEqual(3);

    const refusals = new Set<string>();
    /** How many of `results` passed; the reasons of the others are collected. */
    const passed = (results: Awaited<ReturnType<TestKit["mfa"]["verify"]>>[]) => {
      for (const r of results) if (!r.ok) refusals.add(r.reason);
      return results.filter((r) => r.ok).length;
    };
    /** One step: the TOTP code of the moment tried 6 times at once over both instances. */
    const round = async () => {
      const code = totpCode(secret, p.a.clock.now);
      const results = await spread(p, 6, (kit) => kit.mfa.verify({ userId, code }));
      p.tick(30_000);
      return passed(results);
    };
    /** One backup code tried 6 times at once over two instances. */
    const backupRound = async (backupCode: string, over = p) =>
      passed(await spread(over, 6, (kit) => kit.mfa.verify({ userId, backupCode })));
    /** Moves one key of the slot to the target; `false` when none is left on the source. */
    const moveOne = async () => {
      const keys = (await source.cluster("GETKEYSINSLOT", slot, 1)) as string[];
      if (keys.length === 0) return false;
      const port = cluster.nodes[to]!.port;
      await source.call("MIGRATE", "127.0.0.1", port, "", 0, 5_000, "KEYS", ...keys);
      return true;
    };

    const accepted = [await round(), await round()];
    // The slot moves key by key, as `redis-cli --cluster reshard` moves it, without a failover.
    // TOTP attempts start while the slot is open, backup-code attempts once its keys are split
    // over both masters: ioredis retries on TRYAGAIN until the slot has moved, then follows MOVED.
    await target.cluster("SETSLOT", slot, "IMPORTING", ids[from]!);
    await source.cluster("SETSLOT", slot, "MIGRATING", ids[to]!);
    const whileOpen = round();
    await moveOne();
    const whileSplit = backupRound(backupCodes[0]!, q);
    while (await moveOne()) {}
    for (const node of [target, source, ...nodes.filter((n) => n !== source && n !== target)]) {
      await node.cluster("SETSLOT", slot, "NODE", ids[to]!);
    }
    accepted.push(await whileOpen, await whileSplit);
    const after = [await round(), await backupRound(backupCodes[1]!), await round()];

    expect(await owner()).toBe(to);
    expect(Number(await target.cluster("COUNTKEYSINSLOT", slot))).toBeGreaterThanOrEqual(moved);
    expect(Number(await source.cluster("COUNTKEYSINSLOT", slot))).toBe(0);
    expect([...accepted, ...after]).toEqual(Array(accepted.length + after.length).fill(1));
    expect([...refusals].sort()).toEqual(["code_reused", "invalid_code"]);
    // The replay guard and the backup codes moved with the factor: what was accepted stays spent.
    const spent = totpCode(secret, p.a.clock.now - 30_000);
    expect((await p.b.mfa.verify({ userId, code: spent })).ok).toBe(false);
    expect((await p.a.mfa.verify({ userId, backupCode: backupCodes[0]! })).ok).toBe(false);
    expect((await store.loadFactors(userId)).backupCodes?.remaining).toBe(backupCodes.length - 2);
    for (const node of nodes) node.disconnect();
  });
});
