import { createHash, randomBytes } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import type { WebhookOutbox } from "../webhooks/types";
import activateFactor from "./lua/activateFactor.lua?raw";
import claim from "./lua/claim.lua?raw";
import createFactor from "./lua/createFactor.lua?raw";
import createPendingFactor from "./lua/createPendingFactor.lua?raw";
import createSession from "./lua/createSession.lua?raw";
import deleteFactor from "./lua/deleteFactor.lua?raw";
import lib from "./lua/lib.lua?raw";
import loadFactors from "./lua/loadFactors.lua?raw";
import outboxAdd from "./lua/outboxAdd.lua?raw";
import outboxClaim from "./lua/outboxClaim.lua?raw";
import outboxSettle from "./lua/outboxSettle.lua?raw";
import patchFactor from "./lua/patchFactor.lua?raw";
import putCode from "./lua/putCode.lua?raw";
import revokeSession from "./lua/revokeSession.lua?raw";
import revokeUserSessions from "./lua/revokeUserSessions.lua?raw";
import setBackupCodes from "./lua/setBackupCodes.lua?raw";
import swap from "./lua/swap.lua?raw";
import takeChallenge from "./lua/takeChallenge.lua?raw";
import throttle from "./lua/throttle.lua?raw";
import touchSession from "./lua/touchSession.lua?raw";
import unlock from "./lua/unlock.lua?raw";
import verifyAttempt from "./lua/verifyAttempt.lua?raw";
import { StoreUnavailableError } from "./storeUnavailable";
import type {
  ActivationOutcome,
  AttemptFailure,
  AttemptResult,
  FactorRecord,
  MfaStore,
  StoredSession,
  UserFactors,
} from "./types";

export { StoreUnavailableError };

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** Prepended to every key, so several apps (or test runs) can share one Redis. Defaults to `"mfa:"`. */
  prefix?: string;
  /**
   * How long one store call may wait for Redis before it fails with a
   * {@link StoreUnavailableError} (the kit then answers 503). Defaults to `2000`.
   */
  timeoutMs?: number;
}

// ---- Lua ------------------------------------------------------------------------------------------
// Each check-and-set is one script: Redis runs a script to completion before any other command, so
// it is atomic, and EVALSHA makes it one round trip. Every key a script touches is passed in KEYS
// (none is computed inside Lua) and carries the hash tag of one user, `{<tag>}`, sessions included:
// so each script touches one hash slot and runs on Redis Cluster too. Deadlines are stored with the
// values and compared with the kit's `now`; PEXPIRE only collects garbage, with TTLs relative to
// `now`, so an entry never disappears before the kit considers it dead.

// The scripts live in ./lua/*.lua, inlined as strings by the build (tsup.config.ts, `?raw`) and
// read as they are by vitest. Each script is sent as lib.lua followed by its own file. lib.lua holds
// the shared helpers: constant-time compare, relative TTL, `<until>:<value>` records, moving a
// user's revision (`"0"`, no key, once they have no factor and no backup codes left), and writing
// and reading a session with its entry in the user's index.

const SCRIPTS = {
  // KEYS: rev, factors hash, backup hash. Returns {rev, factors (flat id/JSON list), salt|false, count}.
  loadFactors,

  // KEYS: rev, factors hash. ARGV: new rev, factorId, record JSON.
  createFactor,

  // KEYS: rev, factors hash, backup hash. ARGV: new rev, factorId, record JSON, maxPending, now.
  createPendingFactor,

  // KEYS: rev, factors hash, backup hash. ARGV: new rev, factorId, stepUp ('1'|'0'), now.
  activateFactor,

  // KEYS: rev, factors hash. ARGV: new rev, factorId, patch JSON.
  patchFactor,

  // KEYS: rev, factors hash, backup hash. ARGV: new rev, factorId.
  deleteFactor,

  // KEYS: rev, factors hash, backup hash. ARGV: new rev, ifAbsent ('1'|'0'), salt, hashes...
  setBackupCodes,

  // The whole verification (see MfaStore.verifyAttempt). KEYS: rev, factors hash, backup hash,
  // lock hash, failures zset, the session index of the user's tag, then the keys the payload
  // names by index (challenges, codes, markers, the session). ARGV: the payload as JSON.
  // Returns {0} (stale) | {1, retryAfterMs} (locked)
  //       | {2, attemptsLeft, lockedForMs|-1, lockLevel|-1, failure...} (failed)
  //       | {3, check (0-based), backupCodesRemaining|-1, held|false, previous|false...} (passed)
  verifyAttempt,

  // KEYS: code hash. ARGV: now, ttlMs, challengeId, hash, expiresAt.
  putCode,

  // KEYS: challenge. ARGV: now.
  takeChallenge,

  // KEYS: session, the session index of its tag. ARGV: now, tokenHash, expiresAt, head, userId.
  createSession,

  // KEYS: session, the session index of its tag. ARGV: now, tokenHash, new expiresAt.
  // The index is extended with the session, so revocation still finds it.
  touchSession,

  // KEYS: session, the session index of its tag. ARGV: tokenHash, now.
  revokeSession,

  // KEYS: the session index of the user's tag, then the key of each token hash the caller read
  // from it. ARGV: now, userId, factorId|'', backupCode ('1'|'0'), except|'', then those token
  // hashes in the order of their keys. Returns -1 (nothing written) when the index holds a token
  // hash the caller did not pass (a session created since the read): the caller reads again.
  revokeUserSessions,

  // KEYS: lock hash, failures zset. ARGV: now.
  unlock,

  // KEYS: events zset, sequence. ARGV: now, intervalMs, max, windowMs.
  throttle,

  // KEYS: marker. ARGV: now, ttlMs.
  claim,

  // KEYS: marker. ARGV: now, ttlMs, value.
  swap,

  // The webhook outbox, two keys of one hash tag: a hash of stream -> its messages (a JSON array,
  // oldest first; numbers kept as strings) and a sorted set of stream -> when its head may be
  // handed out next (the head's dueAt, or the end of a claim's lease).
  // KEYS: queues, due. ARGV: messages (a JSON array).
  outboxAdd,

  // KEYS: queues, due. ARGV: now, leasedUntil, limit. Returns the heads handed out (JSON each).
  outboxClaim,

  // KEYS: queues, due. ARGV: stream, id, then for a retry: attempts, dueAt (else the head goes).
  outboxSettle,
};

type ScriptName = keyof typeof SCRIPTS;

interface Script {
  source: string;
  sha: string;
}

const compiled = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, body]) => {
    const source = `${lib}\n${body}`;
    return [name, { source, sha: createHash("sha1").update(source).digest("hex") }];
  }),
) as Record<ScriptName, Script>;

// Replies that mean "Redis cannot serve right now" rather than "this command is wrong".
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS)\b/;

/** Whether a failed call is an outage (fail closed) rather than a bug (keep it visible). */
function isOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  if (error.name !== "ReplyError") return true;
  return TRANSIENT_REPLY.test(error.message);
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A session as one string value: `expiresAt`, `authTime`, `acr`, `amr` (space-separated),
 * `factorId` (or nothing), then the user id (which may hold anything), separated by newlines. The
 * session check reads it with `MGET`, batched. `sessionHead` is the part before the user id.
 */
function sessionHead(s: StoredSession): string {
  const parts = [s.acr, ...s.amr, s.factorId ?? ""];
  if (parts.some((part) => /\s/.test(part)) || s.amr.some((m) => m === "")) {
    throw new TypeError("redisStore: acr, amr values and factorId cannot hold whitespace");
  }
  return [s.expiresAt, s.authTime, s.acr, s.amr.join(" "), s.factorId ?? ""].join("\n");
}

/** The live session a stored value holds, or `null`. */
function unpackSession(value: string | null, now: number): StoredSession | null {
  if (value === null) return null;
  const a = value.indexOf("\n");
  const b = value.indexOf("\n", a + 1);
  const c = value.indexOf("\n", b + 1);
  const d = value.indexOf("\n", c + 1);
  const e = value.indexOf("\n", d + 1);
  if (a < 0 || b < 0 || c < 0 || d < 0 || e < 0) return null;
  const expiresAt = Number(value.slice(0, a));
  if (!(expiresAt > now)) return null;
  const amr = value.slice(c + 1, d);
  const session: StoredSession = {
    userId: value.slice(e + 1),
    acr: value.slice(b + 1, c),
    amr: amr === "" ? [] : amr.split(" "),
    authTime: Number(value.slice(a + 1, b)),
    expiresAt,
  };
  if (e > d + 1) session.factorId = value.slice(d + 1, e);
  return session;
}

/** The characters of a hash tag: base64url, so never a brace, a colon or a dot. */
const TAG = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The hash tag of a user: the first 48 bits of the SHA-256 of the id, base64url (8 characters).
 * Short and of fixed length whatever the id holds, and spread evenly over Redis Cluster's slots.
 * Two users may share a tag (keys still tell them apart, see `userKey`); the session index of a
 * tag is then shared, and revocation checks each session's user.
 */
function redisUserTag(userId: string): string {
  return createHash("sha256").update(userId, "utf8").digest("base64url").slice(0, 8);
}

/**
 * The key of one piece of a user's state. The tag puts one user's keys in one slot;
 * encodeURIComponent leaves no `{`, `}` or `:` in the user part, so keys of different users never
 * collide whatever their ids contain, even when their tags do.
 */
export const redisUserKey = (prefix: string, userId: string, suffix: string) =>
  `${prefix}{${redisUserTag(userId)}}:u:${encodeURIComponent(userId)}:${suffix}`;

/** The tag a token hash starts with (`<tag>.<hash>`), or `undefined` when it carries none. */
function tagOf(tokenHash: string): string | undefined {
  const dot = tokenHash.indexOf(".");
  if (dot < 0) return undefined;
  const tag = tokenHash.slice(0, dot);
  return TAG.test(tag) ? tag : undefined;
}

/** Session checks waiting for the next batched `MGET`. */
interface SessionRead {
  key: string;
  tag: string;
  now: number;
  resolve(session: StoredSession | null): void;
  reject(error: unknown): void;
}

/** The most session checks one `MGET` answers. */
const MAX_BATCH = 256;

/** How often {@link RedisStore.revokeUserSessions} reads the index again before it gives up. */
const REVOKE_ATTEMPTS = 16;

/** The `keyPrefix` ioredis puts in front of every key (a cluster's may sit in `redisOptions`). */
function keyPrefixOf(client: Redis | Cluster): string {
  if (client.isCluster) {
    const options = (client as Cluster).options;
    return options.keyPrefix ?? options.redisOptions?.keyPrefix ?? "";
  }
  return client.options?.keyPrefix ?? "";
}

/** Parses a `<until>:<value>` record; `null` when absent or dead at `now`. */
function liveRecord(raw: string | null, now: number): string | null {
  if (raw === null) return null;
  const sep = raw.indexOf(":");
  if (sep < 0 || Number(raw.slice(0, sep)) <= now) return null;
  return raw.slice(sep + 1);
}

/** The {@link MfaStore} over Redis that {@link redisStore} returns. */
export interface RedisStore extends MfaStore, WebhookOutbox {
  /** The key prefix in use (`"mfa:"` by default). */
  readonly prefix: string;
  /** The live session (one `MGET`, shared by the checks of one event-loop turn), or `null`. */
  getSession(tokenHash: string, now: number): Promise<StoredSession | null>;
  /** The user's hash tag, which the kit puts in front of their session tokens. */
  sessionTokenTag(userId: string): string;
}

/**
 * An {@link MfaStore} on Redis (through an `ioredis` client you create and own), for more than one
 * server instance. Every check-and-set is one Lua script (atomic on the server, one round trip
 * through EVALSHA); the session check is one `GET` (batched into `MGET`s under load). Every key of
 * a user, sessions included, carries the user's hash tag (a hash of the id), so every script
 * touches one hash slot: `<prefix>{<tag>}:u:<userId>:…` for the user's state,
 * `<prefix>{<tag>}:s:<hash>` for a session (the kit puts the tag in front of the user's session
 * tokens, so the check still needs the token alone) and `<prefix>{<tag>}:sessions` for their index.
 * Transient keys carry TTLs. Works with a standalone Redis, a Sentinel-managed primary, or Redis
 * Cluster (pass an ioredis `Cluster`).
 *
 * It fails closed: while the client is not connected, or when Redis takes longer than `timeoutMs`,
 * every call rejects with {@link StoreUnavailableError} (the kit answers 503) instead of waiting in
 * ioredis' offline queue; once the client has reconnected, calls succeed again.
 *
 * @example
 * const mfa = createMfaServer({ issuer: "Acme", store: redisStore(new Redis(process.env.REDIS_URL)) });
 */
export function redisStore(client: Redis | Cluster, options: RedisStoreOptions = {}): RedisStore {
  const prefix = options.prefix ?? "mfa:";
  const timeoutMs = options.timeoutMs ?? 2000;
  if (typeof prefix !== "string") throw new TypeError("redisStore: prefix must be a string");
  if (/\n/.test(`${prefix}${keyPrefixOf(client)}`)) {
    // Key names are listed one a line (redis-cli, SCAN output): a newline would split one.
    throw new TypeError("redisStore: the key prefixes cannot hold a newline");
  }
  if (!(timeoutMs > 0)) throw new RangeError("redisStore: timeoutMs must be a positive number");

  const cluster = client.isCluster === true;
  // The webhook outbox is no user's: its two keys share a hash tag of their own.
  const outboxKeys = [`${prefix}{outbox}:queues`, `${prefix}{outbox}:due`];
  const userKey = (userId: string, suffix: string) => redisUserKey(prefix, userId, suffix);
  const indexKey = (tag: string) => `${prefix}{${tag}}:sessions`;
  /** The key of a session (its token hash is `<tag>.<hash>`), or `undefined` without a tag. */
  const sessionKey = (tokenHash: string) => {
    const tag = tagOf(tokenHash);
    return tag === undefined ? undefined : `${prefix}{${tag}}:s:${tokenHash.slice(tag.length + 1)}`;
  };
  /** The session key of a token hash the kit issued for `userId`; a programmer error otherwise. */
  const ownSessionKey = (tokenHash: string, userId: string) => {
    const tag = redisUserTag(userId);
    if (tagOf(tokenHash) !== tag) {
      throw new TypeError(
        "redisStore: a session's token hash must start with the user's tag and a dot (sessionTokenTag)",
      );
    }
    return sessionKey(tokenHash)!;
  };
  // A revision no store ever wrote before: random per store object, then a counter.
  const revBase = `${randomBytes(9).toString("base64url")}.`;
  let revCounter = 0;
  const nextRev = () => `${revBase}${(++revCounter).toString(36)}`;

  const unavailable = (message: string, cause?: unknown) =>
    new StoreUnavailableError(`Redis is unavailable: ${message}`, { cause });

  /** Runs one Redis call, failing fast while disconnected and after `timeoutMs`. */
  const run = <T>(op: () => Promise<T>): Promise<T> => {
    const status = client.status;
    if (status === "reconnecting" || status === "close" || status === "end") {
      return Promise.reject(unavailable(`the client is ${status}`));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(unavailable(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      op().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(isOutage(error) ? unavailable(messageOf(error), error) : error);
        },
      );
    });
  };

  const evalScript = (name: ScriptName, keys: string[], args: (string | number)[]) =>
    run(async () => {
      const script = compiled[name];
      try {
        return await client.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        // After a Redis restart (or on first use) the script is not cached yet: EVAL loads it.
        if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
          return client.eval(script.source, keys.length, ...keys, ...args);
        }
        throw error;
      }
    });

  const num = (value: number, what: string) => {
    if (!Number.isFinite(value))
      throw new RangeError(`redisStore: ${what} must be a finite number`);
    return String(value);
  };

  let reads: SessionRead[] = [];
  /** Sends the waiting session checks as one MGET (one per tag on a cluster: one slot each). */
  const readSessions = () => {
    if (reads.length === 0) return;
    const batches: SessionRead[][] = [];
    if (cluster) {
      const byTag = new Map<string, SessionRead[]>();
      for (const read of reads) {
        const group = byTag.get(read.tag);
        if (group) group.push(read);
        else byTag.set(read.tag, [read]);
      }
      batches.push(...byTag.values());
    } else {
      batches.push(reads);
    }
    reads = [];
    for (const batch of batches) readBatch(batch);
  };
  const readBatch = (batch: SessionRead[]) => {
    run(() => client.mget(batch.map((read) => read.key))).then(
      (values) => {
        for (let i = 0; i < batch.length; i++) {
          const read = batch[i]!;
          read.resolve(unpackSession(values[i] ?? null, read.now));
        }
      },
      (error: unknown) => {
        for (const read of batch) read.reject(error);
      },
    );
  };

  const store: RedisStore = {
    prefix,
    sessionTokenTag: redisUserTag,

    async loadFactors(userId): Promise<UserFactors> {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors"), userKey(userId, "backup")];
      const [rev, flat, salt, count] = (await evalScript("loadFactors", keys, [])) as [
        string,
        string[],
        string | null,
        number,
      ];
      const factors: Record<string, FactorRecord> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) {
        factors[flat[i]!] = JSON.parse(flat[i + 1]!) as FactorRecord;
      }
      return { rev, factors, backupCodes: salt === null ? null : { salt, remaining: count } };
    },
    async createFactor(userId, factorId, fields) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors")];
      const args = [nextRev(), factorId, JSON.stringify(fields)];
      return (await evalScript("createFactor", keys, args)) === 1;
    },
    async createPendingFactor(userId, factorId, fields, limit, now) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors"), userKey(userId, "backup")];
      const args = [
        nextRev(),
        factorId,
        JSON.stringify(fields),
        num(limit.maxPending, "maxPending"),
        num(now, "now"),
      ];
      return (await evalScript("createPendingFactor", keys, args)) === 1;
    },
    async activateFactor(userId, factorId, activation, now) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors"), userKey(userId, "backup")];
      const args = [nextRev(), factorId, activation.stepUp ? "1" : "0", num(now, "now")];
      return (await evalScript("activateFactor", keys, args)) as ActivationOutcome;
    },
    async patchFactor(userId, factorId, fields) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors")];
      const args = [nextRev(), factorId, JSON.stringify(fields)];
      return (await evalScript("patchFactor", keys, args)) === 1;
    },
    async deleteFactor(userId, factorId) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors"), userKey(userId, "backup")];
      return (await evalScript("deleteFactor", keys, [nextRev(), factorId])) === 1;
    },

    async setBackupCodes(userId, set, opts) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors"), userKey(userId, "backup")];
      const args = [nextRev(), opts?.ifAbsent ? "1" : "0", set.salt, ...set.hashes];
      if (set.hashes.length === 0) args.length = 3;
      return (await evalScript("setBackupCodes", keys, args)) === 1;
    },

    async verifyAttempt(userId, attempt, now): Promise<AttemptResult> {
      const keys = [
        userKey(userId, "rev"),
        userKey(userId, "factors"),
        userKey(userId, "backup"),
        userKey(userId, "lock"),
        userKey(userId, "failures"),
        indexKey(redisUserTag(userId)),
      ];
      /** Adds a key for the script and returns its (1-based) index in KEYS. */
      const ref = (key: string) => keys.push(key);
      const { policy, success } = attempt;
      if (success?.session) {
        // Whatever check passes carries its claims into the packed session: check them all now.
        for (const check of attempt.checks) {
          sessionHead({ ...check, userId, authTime: now, expiresAt: now });
        }
      }
      const payload = {
        now: num(now, "now"),
        rev: attempt.rev,
        maxFailures: policy.maxFailures,
        windowMs: policy.windowMs,
        levelTtlMs: policy.levelTtlMs,
        lockoutsMs: policy.lockoutsMs,
        maxConsecutiveFailures: policy.maxConsecutiveFailures,
        consecutiveTtlMs: policy.consecutiveTtlMs,
        checks: attempt.checks.map((check) => {
          const out: Record<string, unknown> = { ...check };
          if (check.challenge !== undefined) {
            out.challenge = ref(userKey(userId, `challenge:${check.challenge}`));
          }
          if (check.kind === "counter") out.value = num(check.value, "value");
          if (check.kind === "code" && check.factorId !== undefined) {
            out.code = ref(userKey(userId, `code:${check.factorId}`));
          }
          if (check.kind === "resync") {
            out.key = ref(userKey(userId, `challenge:${check.key}`));
            if (check.candidate !== undefined) out.candidate = num(check.candidate, "candidate");
          }
          return out;
        }),
        ...(success?.hold
          ? {
              hold: {
                key: ref(userKey(userId, `marker:${success.hold.key}`)),
                value: success.hold.value,
              },
            }
          : {}),
        ...(success?.swap?.length
          ? {
              swap: success.swap.map((m) => ({
                key: ref(userKey(userId, `marker:${m.key}`)),
                value: m.value,
                ttlMs: num(m.ttlMs, "ttlMs"),
              })),
            }
          : {}),
        ...(success?.session
          ? {
              session: {
                key: ref(ownSessionKey(success.session.tokenHash, userId)),
                token: success.session.tokenHash,
                userId,
                expiresAt: num(success.session.expiresAt, "expiresAt"),
              },
            }
          : {}),
      };
      const reply = (await evalScript("verifyAttempt", keys, [JSON.stringify(payload)])) as (
        | number
        | string
        | null
      )[];
      switch (reply[0]) {
        case 0:
          return { ok: false, reason: "stale" };
        case 1:
          return { ok: false, reason: "locked", retryAfterMs: reply[1] as number };
        case 2: {
          const [, attemptsLeft, lockedForMs, lockLevel, suspended, ...failures] =
            reply as number[];
          return {
            ok: false,
            reason: "failed",
            failures: failures as unknown as AttemptFailure[],
            attemptsLeft: attemptsLeft!,
            ...(lockedForMs! >= 0 ? { lockedForMs, lockLevel: lockLevel! } : {}),
            ...(suspended === 1 ? { suspended: true as const } : {}),
          };
        }
        case 4:
          return { ok: false, reason: "suspended" };
        default: {
          const [, check, remaining, held, ...previous] = reply;
          const result: Extract<AttemptResult, { ok: true }> = {
            ok: true,
            check: check as number,
            previous: previous as (string | null)[],
          };
          if ((remaining as number) >= 0) result.backupCodesRemaining = remaining as number;
          if (typeof held === "string") result.held = held;
          return result;
        }
      }
    },
    async lockedFor(userId, now) {
      const until = Number(await run(() => client.hget(userKey(userId, "lock"), "until")));
      return until > now ? until - now : 0;
    },
    async unlock(userId, now) {
      const keys = [userKey(userId, "lock"), userKey(userId, "failures")];
      return (await evalScript("unlock", keys, [num(now, "now")])) === 1;
    },
    async throttle(userId, name, limit, now) {
      const keys = [userKey(userId, `throttle:${name}`), userKey(userId, `throttle-seq:${name}`)];
      const args = [
        num(now, "now"),
        num(limit.intervalMs, "intervalMs"),
        num(limit.max, "max"),
        num(limit.windowMs, "windowMs"),
      ];
      return (await evalScript("throttle", keys, args)) as number;
    },

    async putCode(userId, factorId, code, ttlMs, now) {
      const args = [
        num(now, "now"),
        num(ttlMs, "ttlMs"),
        code.challengeId,
        code.hash,
        num(code.expiresAt, "expiresAt"),
      ];
      await evalScript("putCode", [userKey(userId, `code:${factorId}`)], args);
    },

    async putChallenge(userId, name, value, ttlMs, now) {
      const until = now + ttlMs;
      const px = Math.max(1, Math.ceil(ttlMs));
      await run(() =>
        client.set(
          userKey(userId, `challenge:${name}`),
          `${num(until, "ttlMs")}:${value}`,
          "PX",
          px,
        ),
      );
    },
    async takeChallenge(userId, name, now) {
      const key = userKey(userId, `challenge:${name}`);
      return (
        ((await evalScript("takeChallenge", [key], [num(now, "now")])) as string | null) ?? null
      );
    },

    async createSession(tokenHash, session, now) {
      const keys = [
        ownSessionKey(tokenHash, session.userId),
        indexKey(redisUserTag(session.userId)),
      ];
      const args = [
        num(now, "now"),
        tokenHash,
        num(session.expiresAt, "expiresAt"),
        sessionHead(session),
        session.userId,
      ];
      await evalScript("createSession", keys, args);
    },
    getSession(tokenHash, now) {
      // The hot path: no script, and the checks that arrive within one turn of the event loop
      // share one MGET (still one round trip each, nothing cached, revocation seen at once).
      const key = sessionKey(tokenHash);
      // A token without a tag was never issued for this store: no session, and nothing to ask.
      if (key === undefined) return Promise.resolve(null);
      return new Promise((resolve, reject) => {
        if (reads.length === 0) setImmediate(readSessions);
        reads.push({ key, tag: tagOf(tokenHash)!, now, resolve, reject });
        if (reads.length >= MAX_BATCH) readSessions();
      });
    },
    async touchSession(tokenHash, expiresAt, now) {
      const key = sessionKey(tokenHash);
      if (key === undefined) return null;
      const args = [num(now, "now"), tokenHash, num(expiresAt, "expiresAt")];
      const keys = [key, indexKey(tagOf(tokenHash)!)];
      const value = (await evalScript("touchSession", keys, args)) as string | null;
      return unpackSession(value, now);
    },
    async revokeSession(tokenHash, now) {
      const key = sessionKey(tokenHash);
      if (key === undefined) return false;
      const args = [tokenHash, num(now, "now")];
      const keys = [key, indexKey(tagOf(tokenHash)!)];
      return (await evalScript("revokeSession", keys, args)) === 1;
    },
    async revokeUserSessions(userId, now, scope) {
      const index = indexKey(redisUserTag(userId));
      const args = [
        num(now, "now"),
        userId,
        scope?.factorId ?? "",
        scope?.backupCode ? "1" : "0",
        scope?.except ?? "",
      ];
      // The script must be given every key it touches: read the index, then revoke in one step
      // what it names. A session created in between makes the script refuse (nothing written) and
      // the read is repeated.
      for (let attempt = 1; ; attempt++) {
        const members = (await run(() => client.zrange(index, 0, -1))).filter(
          (hash) => sessionKey(hash) !== undefined,
        );
        const keys = [index, ...members.map((hash) => sessionKey(hash)!)];
        const live = (await evalScript("revokeUserSessions", keys, [
          ...args,
          ...members,
        ])) as number;
        if (live >= 0) return live;
        if (attempt >= REVOKE_ATTEMPTS) {
          throw unavailable(`the sessions of a user kept changing over ${attempt} attempts`);
        }
      }
    },

    async claim(userId, name, ttlMs, now) {
      const key = userKey(userId, `marker:${name}`);
      return (await evalScript("claim", [key], [num(now, "now"), num(ttlMs, "ttlMs")])) === 1;
    },
    async swap(userId, name, value, ttlMs, now) {
      const key = userKey(userId, `marker:${name}`);
      const args = [num(now, "now"), num(ttlMs, "ttlMs"), value];
      return ((await evalScript("swap", [key], args)) as string | null) ?? null;
    },
    async peek(userId, name, now) {
      return liveRecord(await run(() => client.get(userKey(userId, `marker:${name}`))), now);
    },

    async outboxAdd(messages, _now) {
      if (messages.length === 0) return;
      const encoded = messages.map((m) => ({
        id: m.id,
        stream: m.stream,
        payload: m.payload,
        attempts: num(m.attempts, "attempts"),
        createdAt: num(m.createdAt, "createdAt"),
        dueAt: num(m.dueAt, "dueAt"),
      }));
      await evalScript("outboxAdd", outboxKeys, [JSON.stringify(encoded)]);
    },
    async outboxClaim(limit, leaseMs, now) {
      const args = [num(now, "now"), num(now + leaseMs, "leaseMs"), Math.max(0, Math.floor(limit))];
      if (args[2] === 0) return [];
      const heads = (await evalScript("outboxClaim", outboxKeys, args)) as string[];
      return heads.map((raw) => {
        const m = JSON.parse(raw) as Record<string, string>;
        return {
          id: m.id!,
          stream: m.stream!,
          payload: m.payload!,
          attempts: Number(m.attempts),
          createdAt: Number(m.createdAt),
          dueAt: Number(m.dueAt),
        };
      });
    },
    async outboxDone(stream, id, _now) {
      await evalScript("outboxSettle", outboxKeys, [stream, id]);
    },
    async outboxRetry(stream, id, attempts, dueAt, _now) {
      const args = [stream, id, num(attempts, "attempts"), num(dueAt, "dueAt")];
      await evalScript("outboxSettle", outboxKeys, args);
    },
  };
  return store;
}
