import { mfaPath, parseRetryAfter, problemName } from "@mfa-kit/protocol";
import { redisUnavailableReason } from "@mfa-kit/test-utils";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type Answer,
  type ClusterUser,
  call,
  type DemoCluster,
  enrollTotp,
  type Instance,
  newUser,
  startDemoCluster,
  totpCode,
} from "./demoCluster";

const skipReason = redisUnavailableReason();
if (skipReason) console.warn(`Skipping the multi-instance tests: ${skipReason}`);

let cluster: DemoCluster;
let admin: Redis;
/** Everything secret the tests handed out or received: none of it may be found in Redis. */
const secrets = new Set<string>();

const remember = (...values: string[]) => {
  for (const v of values) secrets.add(v);
};

const verify = (instance: Instance, token: string, body: Record<string, unknown>) =>
  call<{ token?: string; attemptsLeft?: number; retryAfter?: number }>(
    instance,
    "POST",
    mfaPath("verify"),
    { token, body },
  );

/** A user with an active TOTP factor, everything secret remembered. */
async function enrolledUser(name: string) {
  const user = await newUser(cluster, name);
  const factor = await enrollTotp(cluster, user);
  remember(user.password, user.tokens.a, user.tokens.b, factor.secret, ...factor.backupCodes);
  return { user, ...factor };
}

const tokenOf = (user: ClusterUser, instance: Instance) =>
  instance === cluster.a ? user.tokens.a : user.tokens.b;

describe.skipIf(skipReason !== undefined)("two demo instances sharing one Redis", () => {
  beforeAll(async () => {
    cluster = await startDemoCluster();
    admin = new Redis(cluster.redis.url, { lazyConnect: true });
    admin.on("error", () => {});
    await admin.connect();
  });

  afterAll(async () => {
    admin?.disconnect();
    await cluster?.stop();
  });

  it("refuses on one instance a TOTP code already accepted on the other", async () => {
    const { user, factorId, secret } = await enrolledUser("replay");
    // The activation used the current step; the next step's code is within the drift window.
    const code = totpCode(secret, 1);
    const first = await verify(cluster.a, user.tokens.a, { factorId, code });
    expect(first.status).toBe(200);
    remember(first.body.token!);
    const replay = await verify(cluster.b, user.tokens.b, { factorId, code });
    expect(replay.status).toBe(400);
    expect(problemName(replay.body)).toBe("code_reused");
  });

  it("locks after 3 wrong guesses in total, alternated between the instances", async () => {
    const { user, factorId, secret } = await enrolledUser("guesser");
    const valid = new Set([-1, 0, 1, 2].map((step) => totpCode(secret, step)));
    const wrong = ["111111", "222222", "333333", "444444"].find((c) => !valid.has(c))!;
    const order = [cluster.a, cluster.b, cluster.a];
    const answers: Answer[] = [];
    for (const instance of order) {
      answers.push(await verify(instance, tokenOf(user, instance), { factorId, code: wrong }));
    }
    expect(answers.map((a) => a.status)).toEqual([400, 400, 429]);
    expect(answers.map((a) => a.body.attemptsLeft)).toEqual([2, 1, undefined]);
    expect(problemName(answers[2]!.body)).toBe("locked");

    // Locked on both: even the right code is refused, with Retry-After and RateLimit fields.
    for (const instance of [cluster.b, cluster.a]) {
      const locked = await verify(instance, tokenOf(user, instance), {
        factorId,
        code: totpCode(secret, 1),
      });
      expect(locked.status).toBe(429);
      expect(problemName(locked.body)).toBe("locked");
      const retryAfter = parseRetryAfter(locked.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(30_000);
      expect(locked.body.retryAfter).toBeGreaterThan(0);
      expect(locked.headers.get("ratelimit")).toBeTruthy();
      expect(locked.headers.get("ratelimit-policy")).toBeTruthy();
    }
  });

  it("accepts one backup code exactly once among 50 concurrent uses spread over both", async () => {
    const { user, backupCodes } = await enrolledUser("racer");
    const backupCode = backupCodes[0]!;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const instance = i % 2 === 0 ? cluster.a : cluster.b;
        return verify(instance, tokenOf(user, instance), { backupCode });
      }),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 400 || s === 429)).toBe(true);
    for (const a of answers) if (a.body.token) remember(a.body.token);
  });

  it("keeps no secret, code or token in Redis, and a TTL on every transient key", async () => {
    const keys = await admin.keys(`${cluster.prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    const dump: string[] = [];
    for (const key of keys) {
      const type = await admin.type(key);
      if (type === "string") dump.push(key, (await admin.get(key)) ?? "");
      else if (type === "hash") dump.push(key, ...Object.entries(await admin.hgetall(key)).flat());
      else if (type === "zset") dump.push(key, ...(await admin.zrange(key, 0, -1, "WITHSCORES")));
      else throw new Error(`unexpected key type ${type} for ${key}`);
      const pttl = await admin.pttl(key);
      // Factors, backup-code sets and their revision are the user's configuration; the rest expires.
      if (/:(factors|backup|rev)$/.test(key)) expect(pttl).toBe(-1);
      else expect({ key, expires: pttl > 0 }).toEqual({ key, expires: true });
    }
    const text = dump.join("\n");
    const forms = (s: string) => [s, s.replace(/-/g, ""), s.toLowerCase(), s.toUpperCase()];
    expect(secrets.size).toBeGreaterThan(10);
    for (const secret of secrets) {
      for (const form of forms(secret)) {
        if (form.length >= 8) expect(text.includes(form), `found ${form} in Redis`).toBe(false);
      }
    }
  });

  it("refuses with 503 on both instances while Redis is down and recovers without a restart", async () => {
    const { user, backupCodes } = await enrolledUser("outage");
    const session = await verify(cluster.a, user.tokens.a, { backupCode: backupCodes[0] });
    expect(session.status).toBe(200);
    const sessionToken = session.body.token!;
    // A snapshot, so the restarted Redis still knows the session (as a persistent Redis would).
    await admin.save();
    await cluster.redis.stop();

    for (const instance of [cluster.a, cluster.b]) {
      const token = tokenOf(user, instance);
      const guarded = await vi.waitFor(
        async () => {
          const answer = await call(instance, "GET", "/api/profile", {
            token,
            session: sessionToken,
          });
          expect(answer.status).toBe(503);
          return answer;
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(guarded.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(guarded.headers.get("content-type")).toBe("application/problem+json");
      const verification = await verify(instance, token, { backupCode: backupCodes[1] });
      expect(verification.status).toBe(503);
      expect(verification.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(verification.body.token).toBeUndefined();
    }

    await cluster.redis.start();
    for (const instance of [cluster.a, cluster.b]) {
      const token = tokenOf(user, instance);
      const back = await vi.waitFor(
        async () => {
          const answer = await call(instance, "GET", "/api/profile", {
            token,
            session: sessionToken,
          });
          expect(answer.status).toBe(200);
          return answer;
        },
        { timeout: 15_000, interval: 100 },
      );
      expect(back.status).toBe(200);
    }
    // And the backup code refused during the outage still works, once.
    const after = await verify(cluster.b, user.tokens.b, { backupCode: backupCodes[1] });
    expect(after.status).toBe(200);
    const again = await verify(cluster.a, user.tokens.a, { backupCode: backupCodes[1] });
    expect(again.status).toBe(400);
  });
});
