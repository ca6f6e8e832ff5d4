import { mfaPath } from "@mfa-kit/protocol";
import {
  type PostgresServer,
  postgresUnavailableReason,
  startPostgresServer,
} from "@mfa-kit/test-utils";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireMfa } from "../http/requireMfa";
import { type TestKit, testKit, totpCode } from "../testing/fixtures";
import { testHandler } from "../testing/http";
import type { MemoryStore } from "./memory";
import { migrate } from "./migrate";
import { postgresStore } from "./postgres";

const skipReason = postgresUnavailableReason();
if (skipReason) console.warn(`Skipping the two-instance PostgreSQL tests: ${skipReason}`);

/** Two kits, as two server instances: each with its own pool on one PostgreSQL, one clock. */
interface Pair {
  a: TestKit;
  b: TestKit;
  pools: pg.Pool[];
  tick(ms: number): void;
}

let server: PostgresServer;
const pools: pg.Pool[] = [];

function pair(schema: string): Pair {
  const make = () => {
    const pool = new pg.Pool({
      connectionString: server.url,
      max: 10,
      connectionTimeoutMillis: 1000,
    });
    pools.push(pool);
    // The kit only uses the MfaStore methods; the fixture's type names the memory store.
    return testKit({ store: postgresStore(pool, { schema }) as unknown as MemoryStore });
  };
  const a = make();
  const b = make();
  return {
    a,
    b,
    pools: pools.slice(-2),
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

describe.skipIf(skipReason !== undefined)("two kit instances on one PostgreSQL", () => {
  let p: Pair;

  beforeAll(async () => {
    server = await startPostgresServer();
    const setup = new pg.Pool({ connectionString: server.url, max: 1 });
    await migrate(setup, { schema: "pair" });
    await setup.end();
    p = pair("pair");
  }, 60_000);

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await server?.destroy();
  }, 30_000);

  it("accepts the same TOTP code exactly once among 50 parallel attempts spread over both", async () => {
    const { secret } = await enrolled(p, "totp-racer");
    const code = totpCode(secret, p.a.clock.now);
    const results = await spread(p, 50, (kit) => kit.mfa.verify({ userId: "totp-racer", code }));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results) {
      if (!r.ok) expect(["code_reused", "locked", "rate_limited"]).toContain(r.reason);
    }
  });

  it("accepts one backup code exactly once among 50 parallel uses spread over both", async () => {
    const { backupCodes } = await enrolled(p, "backup-racer");
    const backupCode = backupCodes[0]!;
    const results = await spread(p, 50, (kit) =>
      kit.mfa.verify({ userId: "backup-racer", backupCode }),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results) {
      if (!r.ok) expect(["invalid_code", "locked", "rate_limited"]).toContain(r.reason);
    }
    // The other nine are untouched.
    expect((await p.b.store.loadFactors("backup-racer")).backupCodes?.remaining).toBe(9);
  });

  it("evaluates at most 3 of 100 parallel wrong guesses spread over both, and locks the rest out", async () => {
    const { secret } = await enrolled(p, "guesser");
    const valid = new Set([-1, 0, 1].map((s) => totpCode(secret, p.a.clock.now + s * 30_000)));
    const guesses = Array.from({ length: 100 }, (_, i) => String(100_000 + i * 7919)).filter(
      (c) => !valid.has(c),
    );
    const results = await spread(p, guesses.length, (kit, i) =>
      kit.mfa.verify({ userId: "guesser", code: guesses[i]! }),
    );
    const evaluated = results.filter((r) => !r.ok && r.reason === "invalid_code");
    expect(evaluated.length).toBeGreaterThanOrEqual(1);
    expect(evaluated.length).toBeLessThanOrEqual(3);
    for (const r of results) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(["invalid_code", "locked", "rate_limited"]).toContain(r.reason);
    }
    // The lock holds on both instances, for the right code too.
    for (const kit of [p.a, p.b]) {
      const right = await kit.mfa.verify({
        userId: "guesser",
        code: totpCode(secret, kit.clock.now),
      });
      expect(right).toMatchObject({ ok: false, reason: "locked" });
    }
  });

  it("keeps every factor and unused backup code across a SIGKILL, answers 503 on both while down, and recovers without a restart", async () => {
    const {
      factorId,
      secret,
      backupCodes,
      sessionToken: activation,
    } = await enrolled(p, "durable");
    const second = await p.b.mfa.enrollTotp("durable");
    const activated = await p.b.mfa.activateFactor(
      "durable",
      second.factorId,
      totpCode(second.secret, p.b.clock.now),
      { sessionToken: activation },
    );
    expect(activated.ok).toBe(true);
    // Used before the kill: one TOTP code and one backup code.
    const usedCode = totpCode(secret, p.a.clock.now);
    const byCode = await p.a.mfa.verify({ userId: "durable", factorId, code: usedCode });
    if (!byCode.ok) throw new Error(byCode.reason);
    expect((await p.b.mfa.verify({ userId: "durable", backupCode: backupCodes[0]! })).ok).toBe(
      true,
    );
    const sessionToken = byCode.session.token;

    await server.kill();

    const calls = [p.a, p.b].map((kit) => ({ kit, ...testHandler(kit, {}) }));
    for (const { kit, call } of calls) {
      const verify = await call("POST", mfaPath("verify"), {
        user: "durable",
        body: { backupCode: backupCodes[1] },
      });
      expect(verify.status).toBe(503);
      expect(verify.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(verify.headers.get("content-type")).toBe("application/problem+json");
      expect(verify.body.token).toBeUndefined();
      const guarded = await requireMfa(kit.mfa)(
        new Request("https://api.example.com/profile", {
          headers: { "X-Session-Token": sessionToken },
        }),
      );
      expect(guarded.ok).toBe(false);
      if (!guarded.ok) expect(guarded.response.status).toBe(503);
    }

    await server.start();
    // The same kits, the same pools: they work again by themselves.
    for (const kit of [p.a, p.b]) {
      const guarded = await requireMfa(kit.mfa)(
        new Request("https://api.example.com/profile", {
          headers: { "X-Session-Token": sessionToken },
        }),
      );
      expect(guarded).toMatchObject({ ok: true, claims: { userId: "durable" } });
    }
    const { factors } = await p.b.mfa.listFactors("durable");
    expect(factors.map((f) => f.id).sort()).toEqual([factorId, second.factorId].sort());
    // Nothing accepted before the kill is accepted again; every unused code still is, once.
    expect(await p.b.mfa.verify({ userId: "durable", factorId, code: usedCode })).toMatchObject({
      ok: false,
      reason: "code_reused",
    });
    expect(await p.a.mfa.verify({ userId: "durable", backupCode: backupCodes[0]! })).toMatchObject({
      ok: false,
      reason: "invalid_code",
    });
    for (const [i, backupCode] of backupCodes.slice(1).entries()) {
      const kit = i % 2 === 0 ? p.a : p.b;
      expect((await kit.mfa.verify({ userId: "durable", backupCode })).ok).toBe(true);
    }
    p.tick(30_000);
    expect(
      (await p.a.mfa.verify({ userId: "durable", factorId, code: totpCode(secret, p.a.clock.now) }))
        .ok,
    ).toBe(true);
  });

  it("delivers, from the other instance, a webhook an instance queued before it stopped", async () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    const sent: { instance: string; id: string | undefined; body: string }[] = [];
    const kit = (instance: string, up: boolean) => {
      const pool = new pg.Pool({ connectionString: server.url, max: 2 });
      pools.push(pool);
      return testKit({
        store: postgresStore(pool, { schema: "pair" }) as unknown as MemoryStore,
        webhooks: [{ url: "https://hooks.example.com/mfa", secret }],
        webhookDelivery: {
          pollMs: 3_600_000,
          onError: () => {},
          transport: async (r) => {
            sent.push({ instance, id: r.headers["webhook-id"], body: r.body });
            if (!up) throw new Error("ECONNREFUSED");
            return { status: 204, headers: { get: () => null } };
          },
        },
      });
    };
    const a = kit("a", false);
    const { factorId, secret: totp } = await a.mfa.enrollTotp("webhook-user");
    const done = await a.mfa.activateFactor("webhook-user", factorId, totpCode(totp, a.clock.now));
    expect(done.ok).toBe(true);
    await a.mfa.flushEvents();
    await a.mfa.webhooks!.idle();
    a.mfa.webhooks!.close(); // A is gone; what it queued is in PostgreSQL
    const queued = sent.filter((r) => r.instance === "a").map((r) => r.id);
    expect(queued.length).toBeGreaterThan(0);

    const b = kit("b", true);
    b.tick(3_600_000);
    await b.mfa.webhooks!.deliver();
    await b.mfa.webhooks!.deliver();
    const delivered = sent.filter((r) => r.instance === "b").map((r) => r.id);
    expect(delivered.sort()).toEqual([...new Set(queued)].sort());
    expect(
      sent.filter((r) => r.instance === "b").every((r) => r.body.includes("webhook-user")),
    ).toBe(true);
    // Nothing is left to deliver.
    await b.mfa.webhooks!.deliver();
    expect(sent.filter((r) => r.instance === "b")).toHaveLength(delivered.length);
    b.mfa.webhooks!.close();
  });
});
