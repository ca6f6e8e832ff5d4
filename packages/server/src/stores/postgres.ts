import type { Pool, PoolClient, QueryResult } from "pg";
import type { WebhookOutbox } from "../webhooks/types";
import { type UserState, userScratchStore } from "./memory";
import { StoreUnavailableError } from "./storeUnavailable";
import type {
  AttemptResult,
  FactorRecord,
  MfaStore,
  StoredSession,
  UserFactors,
  VerifyAttempt,
} from "./types";

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions {
  /** The schema holding the store's tables (created by {@link migrate}). Defaults to `"mfa"`. */
  schema?: string;
  /**
   * How long one store call may wait for PostgreSQL (a free pooled connection included) before it
   * fails with a {@link StoreUnavailableError} (the kit then answers 503). Defaults to `2000`.
   */
  timeoutMs?: number;
  /**
   * Deletes expired rows every this many milliseconds ({@link PostgresStore.purgeExpired}), on an
   * unref'd timer stopped by {@link PostgresStore.close}. Defaults to `0` (no timer: call
   * `purgeExpired()` from your own scheduler).
   */
  purgeEveryMs?: number;
}

/** The {@link MfaStore} over PostgreSQL that {@link postgresStore} returns. */
export interface PostgresStore extends MfaStore, WebhookOutbox {
  /** The schema in use. */
  readonly schema: string;
  /** The live session (one `SELECT`, shared by the checks of one event-loop turn), or `null`. */
  getSession(tokenHash: string, now: number): Promise<StoredSession | null>;
  /**
   * Deletes rows dead at `now` (sessions, one-time codes, challenges, markers, limiter state), in
   * batches of `batchSize` rows per statement so that no statement holds its locks for long, and
   * returns how many rows it deleted or cleared. Defaults: `now = Date.now()`, `batchSize = 1000`.
   */
  purgeExpired(options?: { now?: number; batchSize?: number }): Promise<number>;
  /** Stops the purge timer. The pool is yours: end it yourself. */
  close(): void;
}

/** `"mfa"` → `"mfa"` quoted for SQL, after checking it is a plain identifier. */
export function schemaIdentifier(schema: string, caller: string): string {
  if (typeof schema !== "string" || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(
      `${caller}: schema must be a plain SQL identifier (letters, digits, underscores), got ${JSON.stringify(schema)}`,
    );
  }
  return `"${schema}"`;
}

// SQLSTATE classes that mean "PostgreSQL cannot serve right now" rather than "this query is wrong":
// connection exceptions, insufficient resources, operator intervention (shutdown, starting up),
// and the transaction rollbacks a retry resolves (serialisation failure, deadlock).
const TRANSIENT_STATE = /^(08|53|57|40)/;

/** Whether a failed call is an outage (fail closed) rather than a bug (keep it visible). */
function isOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  const code = (error as { code?: unknown }).code;
  // Errors from the server carry a five-character SQLSTATE; anything else (ECONNREFUSED,
  // "Connection terminated", a pool timeout) is the connection failing.
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_STATE.test(code);
  return true;
}

// PostgreSQL's text and jsonb cannot hold U+0000, which ids and labels from outside may carry. Every
// string goes in with U+0000 written as U+FFFE U+0001 (and U+FFFE itself as U+FFFE U+0002) and comes
// back decoded, so any string round-trips and none can collide with another.
const ESC = "\uFFFE";
const NUL = "\u0000";
const encode = (text: string) =>
  text.includes(NUL) || text.includes(ESC)
    ? text.split(ESC).join(`${ESC}\u0002`).split(NUL).join(`${ESC}\u0001`)
    : text;
const decode = (text: string) => {
  if (!text.includes(ESC)) return text;
  const [head, ...rest] = text.split(ESC);
  return head + rest.map((part) => (part[0] === "\u0001" ? NUL : ESC) + part.slice(1)).join("");
};
/** `value` with every string in it (object keys included) passed through `f`. */
function deep<T>(value: T, f: (text: string) => string): T {
  if (typeof value === "string") return f(value) as T;
  if (Array.isArray(value)) return value.map((v) => deep(v, f)) as T;
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[f(k)] = deep(v, f);
    return out as T;
  }
  return value;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

interface SessionRow {
  token_hash: string;
  user_id: string;
  acr: string;
  amr: string[];
  auth_time: string;
  expires_at: string;
  factor_id: string | null;
}

const sessionOf = (row: SessionRow): StoredSession => {
  const session: StoredSession = {
    userId: row.user_id,
    acr: row.acr,
    amr: [...row.amr],
    authTime: Number(row.auth_time),
    expiresAt: Number(row.expires_at),
  };
  if (row.factor_id !== null) session.factorId = row.factor_id;
  return session;
};

/** Session checks waiting for the next batched `SELECT`. */
interface SessionRead {
  tokenHash: string;
  now: number;
  resolve(session: StoredSession | null): void;
  reject(error: unknown): void;
}

/** The most session checks one `SELECT` answers. */
const MAX_BATCH = 256;

/** What `load_user` returns: the user's limiter, factors and the rows the attempt names. */
interface LoadedAttempt {
  rev: string;
  failures: number[];
  lockedUntil: number;
  level: number;
  levelUntil: number;
  limiterUntil: number;
  streak: number;
  streakUntil: number;
  suspended: boolean;
  factors: Record<string, FactorRecord>;
  salt: string | null;
  hashes: string[] | null;
  codes: UserState["codes"];
  challenges: UserState["challenges"];
  markers: UserState["markers"];
  throttles: Record<string, { events: (number | string)[]; until: number | string }>;
}

/** A factor record compared by content, whatever the order of its fields. */
const sameRecord = (a: FactorRecord | undefined, b: FactorRecord | undefined) => {
  if (a === undefined || b === undefined) return a === b;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

/** Changed entries of a `{ value, until }` map: the new entry, or `null` for a deleted one. */
function changedEntries<V extends { until: number }>(
  before: Record<string, V>,
  after: Record<string, V>,
  same: (a: V, b: V) => boolean,
): Record<string, V | null> | undefined {
  const out: Record<string, V | null> = {};
  let any = false;
  for (const k of Object.keys(before)) {
    if (!(k in after)) {
      out[k] = null;
      any = true;
    }
  }
  for (const [k, v] of Object.entries(after)) {
    const old = before[k];
    if (old === undefined || !same(old, v)) {
      out[k] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

/**
 * The writes that take the store from `before` (as loaded) to `after` (as the decision left it),
 * in the shape `save_attempt` takes; `undefined` when nothing changed.
 */
function diff(
  before: Omit<UserState, "sessions">,
  after: UserState,
  windowMs: number,
): Record<string, unknown> | undefined {
  const changes: Record<string, unknown> = {};
  const lim = (s: UserState["limiter"]) =>
    s === null ||
    (s.failures.length === 0 && s.lockedUntil === 0 && s.level === 0 && s.streak === 0)
      ? null
      : s;
  const l0 = lim(before.limiter);
  const l1 = lim(after.limiter);
  if (JSON.stringify(l0) !== JSON.stringify(l1)) {
    changes.limiter =
      l1 === null
        ? null
        : {
            ...l1,
            // When the state is dead: the lock ended, the level forgotten, the last failure out of
            // the window.
            until: Math.max(
              l1.lockedUntil,
              l1.level > 0 ? l1.levelUntil : 0,
              l1.failures.length > 0 ? Math.max(...l1.failures) + windowMs : 0,
              // ... and the consecutive failures forgotten.
              l1.streak > 0 ? l1.streakUntil : 0,
              1,
            ),
          };
  }
  const factors: Record<string, FactorRecord | null> = {};
  for (const [id, record] of Object.entries(after.factors)) {
    if (!sameRecord(before.factors[id], record)) factors[id] = record;
  }
  for (const id of Object.keys(before.factors)) if (!(id in after.factors)) factors[id] = null;
  if (Object.keys(factors).length > 0) changes.factors = factors;
  if (after.rev !== before.rev) changes.moveRev = true;
  const throttles = changedEntries(
    before.throttles ?? {},
    after.throttles ?? {},
    (a, b) => a.until === b.until && a.events.join() === b.events.join(),
  );
  if (throttles) changes.throttles = throttles;
  if (before.backupCodes && after.backupCodes) {
    const left = new Set(after.backupCodes.hashes);
    const used = before.backupCodes.hashes.filter((h) => !left.has(h));
    if (used.length > 0) changes.usedBackupCodes = used;
  }
  const codes = changedEntries(before.codes, after.codes, (a, b) => a.used === b.used);
  if (codes) changes.codes = codes;
  const sameValue = (a: { value: string; until: number }, b: { value: string; until: number }) =>
    a.value === b.value && a.until === b.until;
  const challenges = changedEntries(before.challenges, after.challenges, sameValue);
  if (challenges) changes.challenges = challenges;
  const markers = changedEntries(before.markers, after.markers, sameValue);
  if (markers) changes.markers = markers;
  const sessions = Object.entries(after.sessions).map(([tokenHash, s]) => ({ tokenHash, ...s }));
  if (sessions.length > 0) changes.sessions = sessions;
  return Object.keys(changes).length > 0 ? changes : undefined;
}

/**
 * An {@link MfaStore} on PostgreSQL through a node-postgres `Pool` you create and own: the system of
 * record for factors and backup codes, and the shared state of several server instances. Create its
 * tables first with {@link migrate}.
 *
 * A verification is one transaction that locks the user's row (`SELECT … FOR UPDATE`), so
 * concurrent attempts of one user serialise and attempts of different users never wait for each
 * other; the decision inside it is the memory store's own code, run on the rows it loaded, and
 * only what changed is written back. Every other call is one statement (one round trip); changes
 * of a user's state take the same row lock. The session check is one `SELECT` by token hash
 * (batched under load).
 *
 * No session state is used (no `SET`, no named prepared statements, no session advisory locks, no
 * `LISTEN`), so it works behind PgBouncer in transaction mode. It fails closed: while PostgreSQL
 * cannot answer, or takes longer than `timeoutMs`, every call rejects with
 * {@link StoreUnavailableError} (the kit answers 503); once it is back, calls succeed again.
 *
 * @example
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * const mfa = createMfaServer({ issuer: "Acme", store: postgresStore(pool), encryptionKeys });
 */
interface OutboxRow {
  stream: string;
  id: string;
  payload: string;
  attempts: number;
  created_at: string;
  due_at: string;
}

export function postgresStore(pool: Pool, options: PostgresStoreOptions = {}): PostgresStore {
  const schema = options.schema ?? "mfa";
  const s = schemaIdentifier(schema, "postgresStore");
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!(timeoutMs > 0)) throw new RangeError("postgresStore: timeoutMs must be a positive number");
  const purgeEveryMs = options.purgeEveryMs ?? 0;
  if (!(purgeEveryMs >= 0)) {
    throw new RangeError("postgresStore: purgeEveryMs must be 0 or a positive number");
  }
  // An idle pooled connection that the server drops (a restart) is reported on the pool: without a
  // listener, Node would end the process. The next call opens a new connection or fails closed.
  if (pool.listenerCount("error") === 0) pool.on("error", () => {});

  const unavailable = (message: string, cause?: unknown) =>
    new StoreUnavailableError(`PostgreSQL is unavailable: ${message}`, { cause });

  /**
   * Runs `op`, failing closed on an outage and after `timeoutMs`. `abort` runs on a timeout (a
   * transaction then gives its connection up, so PostgreSQL rolls back what was not committed).
   */
  const run = <T>(op: () => Promise<T>, abort?: () => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        abort?.();
        reject(unavailable(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
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

  const query = <R extends object = Record<string, unknown>>(
    text: string,
    values: unknown[],
  ): Promise<QueryResult<R>> =>
    run(async () => {
      const result = await pool.query<R>(text, deep(values, encode));
      result.rows = deep(result.rows, decode);
      return result;
    });
  /** Calls one of the schema's functions and returns its value. */
  const call = async <T>(fn: string, values: unknown[]): Promise<T> => {
    const params = values.map((_, i) => `$${i + 1}`).join(", ");
    const result = await query<{ v: T }>(`SELECT ${s}.${fn}(${params}) AS v`, values);
    return result.rows[0]!.v;
  };

  const num = (value: number, what: string) => {
    if (!Number.isFinite(value)) {
      throw new RangeError(`postgresStore: ${what} must be a finite number`);
    }
    return Math.round(value);
  };

  let reads: SessionRead[] = [];
  /** Sends the waiting session checks as one SELECT. */
  const readSessions = () => {
    if (reads.length === 0) return;
    const batch = reads;
    reads = [];
    const hashes = [...new Set(batch.map((read) => read.tokenHash))];
    query<SessionRow>(
      `SELECT token_hash, user_id, acr, amr, auth_time, expires_at, factor_id FROM ${s}.sessions WHERE token_hash = ANY ($1::text[])`,
      [hashes],
    ).then(
      ({ rows }) => {
        const found = new Map(rows.map((row) => [row.token_hash, row]));
        for (const read of batch) {
          const row = found.get(read.tokenHash);
          read.resolve(row && Number(row.expires_at) > read.now ? sessionOf(row) : null);
        }
      },
      (error: unknown) => {
        for (const read of batch) read.reject(error);
      },
    );
  };

  /** One verification: lock, load, decide (memory store code), write back, commit. */
  /**
   * One decision on a user's state, in one transaction under the user's row lock: load what
   * `names` says (every factor and the limiter always), let `decide` run the memory store's own
   * code on it, write back what changed (nothing when `unchanged` says so), commit.
   */
  const decideIn = async <T>(
    client: PoolClient,
    userId: string,
    names: {
      codes?: string[];
      challenges?: string[];
      markers?: string[];
      backup?: boolean;
      throttles?: string[];
    },
    decide: (scratch: ReturnType<typeof userScratchStore>) => Promise<T>,
    windowMs: number,
    unchanged?: (result: T) => boolean,
  ): Promise<T> => {
    await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
    const loaded = (
      await client.query<{ v: LoadedAttempt }>(
        `SELECT ${s}.load_user($1, $2, $3, $4, $5, $6) AS v`,
        deep(
          [
            userId,
            names.codes ?? [],
            names.challenges ?? [],
            names.markers ?? [],
            names.backup === true,
            names.throttles ?? [],
          ],
          encode,
        ),
      )
    ).rows.map((row) => deep(row, decode))[0]!.v;
    const throttles: NonNullable<UserState["throttles"]> = {};
    for (const [k, t] of Object.entries(loaded.throttles ?? {})) {
      throttles[k] = { events: t.events.map(Number), until: Number(t.until) };
    }
    const before: Omit<UserState, "sessions"> = {
      rev: loaded.rev,
      factors: loaded.factors,
      backupCodes:
        loaded.salt === null || loaded.hashes === null
          ? null
          : { salt: loaded.salt, hashes: loaded.hashes },
      limiter:
        loaded.failures.length === 0 &&
        Number(loaded.lockedUntil) === 0 &&
        Number(loaded.level) === 0 &&
        Number(loaded.streak ?? 0) === 0
          ? null
          : {
              failures: loaded.failures.map(Number),
              lockedUntil: Number(loaded.lockedUntil),
              level: Number(loaded.level),
              levelUntil: Number(loaded.levelUntil),
              streak: Number(loaded.streak ?? 0),
              streakUntil: Number(loaded.streakUntil ?? 0),
              suspended: loaded.suspended === true,
            },
      codes: loaded.codes,
      challenges: loaded.challenges,
      markers: loaded.markers,
      throttles,
    };
    const scratch = userScratchStore(userId, before);
    const result = await decide(scratch);
    const changes = unchanged?.(result) ? undefined : diff(before, scratch.exportUser(), windowMs);
    if (changes) {
      await client.query(`SELECT ${s}.save_user($1, $2)`, deep([userId, changes], encode));
    }
    await client.query("COMMIT");
    return result;
  };

  /** One verification: lock, load, decide (memory store code), write back, commit. */
  const verifyIn = (
    client: PoolClient,
    userId: string,
    attempt: VerifyAttempt,
    now: number,
  ): Promise<AttemptResult> => {
    const codes = new Set<string>();
    const challenges = new Set<string>();
    const markers = new Set<string>();
    let backup = false;
    for (const check of attempt.checks) {
      if (check.challenge !== undefined) challenges.add(check.challenge);
      if (check.kind === "code" && check.factorId !== undefined) codes.add(check.factorId);
      if (check.kind === "resync") challenges.add(check.key);
      if (check.kind === "backupCode") backup = true;
    }
    if (attempt.success?.hold) markers.add(attempt.success.hold.key);
    for (const m of attempt.success?.swap ?? []) markers.add(m.key);
    return decideIn(
      client,
      userId,
      { codes: [...codes], challenges: [...challenges], markers: [...markers], backup },
      (scratch) => scratch.verifyAttempt(userId, attempt, now),
      attempt.policy.windowMs,
      (result) => result.ok === false && result.reason === "stale",
    );
  };

  /** {@link decideIn} on a pooled connection of its own, within `timeoutMs`. */
  const decideAlone = <T>(decide: (client: PoolClient) => Promise<T>): Promise<T> => {
    let client: PoolClient | undefined;
    let done = false;
    const finish = (error?: unknown) => {
      if (done || !client) return;
      done = true;
      // A connection whose transaction failed or timed out is closed, never reused: PostgreSQL
      // rolls back what it had not committed.
      client.release(error === undefined ? undefined : error instanceof Error ? error : true);
    };
    return run(
      async () => {
        client = await pool.connect();
        try {
          const result = await decide(client);
          finish();
          return result;
        } catch (error) {
          finish(error);
          throw error;
        }
      },
      () => finish(new Error("timed out")),
    );
  };

  const store: PostgresStore = {
    schema,

    async loadFactors(userId): Promise<UserFactors> {
      const { rows } = await query<{
        rev: string | null;
        factors: Record<string, FactorRecord>;
        salt: string | null;
        remaining: string;
      }>(
        `SELECT (SELECT rev FROM ${s}.users WHERE user_id = $1) AS rev,
           (SELECT coalesce(jsonb_object_agg(factor_id, fields), '{}') FROM ${s}.factors WHERE user_id = $1) AS factors,
           (SELECT salt FROM ${s}.backup_code_sets WHERE user_id = $1) AS salt,
           (SELECT count(*) FROM ${s}.backup_codes WHERE user_id = $1) AS remaining`,
        [userId],
      );
      const row = rows[0]!;
      return {
        rev: row.rev ?? "0",
        factors: row.factors,
        backupCodes:
          row.salt === null ? null : { salt: row.salt, remaining: Number(row.remaining) },
      };
    },
    createFactor: (userId, factorId, fields) =>
      call<boolean>("create_factor", [userId, factorId, fields]),
    patchFactor: (userId, factorId, fields) =>
      call<boolean>("patch_factor", [userId, factorId, fields]),
    deleteFactor: (userId, factorId) => call<boolean>("delete_factor", [userId, factorId]),

    setBackupCodes: (userId, set, opts) =>
      call<boolean>("set_backup_codes", [userId, set.salt, set.hashes, opts?.ifAbsent === true]),

    async verifyAttempt(userId, attempt, now) {
      num(now, "now");
      return decideAlone((client) => verifyIn(client, userId, attempt, now));
    },
    createPendingFactor(userId, factorId, fields, limit, now) {
      num(now, "now");
      return decideAlone((client) =>
        decideIn(
          client,
          userId,
          {},
          (scratch) => scratch.createPendingFactor(userId, factorId, fields, limit, now),
          0,
        ),
      );
    },
    activateFactor(userId, factorId, activation, now) {
      num(now, "now");
      return decideAlone((client) =>
        decideIn(
          client,
          userId,
          {},
          (scratch) => scratch.activateFactor(userId, factorId, activation, now),
          0,
        ),
      );
    },
    unlock(userId, now) {
      num(now, "now");
      return decideAlone((client) =>
        decideIn(client, userId, {}, (scratch) => scratch.unlock(userId, now), 0),
      );
    },
    throttle(userId, key, limit, now) {
      num(now, "now");
      return decideAlone((client) =>
        decideIn(
          client,
          userId,
          { throttles: [key] },
          (scratch) => scratch.throttle(userId, key, limit, now),
          0,
          (wait) => wait > 0,
        ),
      );
    },
    async lockedFor(userId, now) {
      const { rows } = await query<{ locked_until: string }>(
        `SELECT locked_until FROM ${s}.users WHERE user_id = $1`,
        [userId],
      );
      const until = Number(rows[0]?.locked_until ?? 0);
      return until > now ? until - now : 0;
    },

    async putCode(userId, factorId, code, ttlMs, now) {
      await call("put_code", [
        userId,
        factorId,
        code.challengeId,
        code.hash,
        num(code.expiresAt, "expiresAt"),
        num(now + ttlMs, "ttlMs"),
      ]);
    },

    async putChallenge(userId, key, value, ttlMs, now) {
      await call("put_challenge", [userId, key, value, num(now + ttlMs, "ttlMs")]);
    },
    takeChallenge: (userId, key, now) =>
      call<string | null>("take_challenge", [userId, key, num(now, "now")]),

    async createSession(tokenHash, session, _now) {
      await query(
        `INSERT INTO ${s}.sessions (token_hash, user_id, acr, amr, auth_time, expires_at, factor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (token_hash) DO UPDATE SET user_id = EXCLUDED.user_id, acr = EXCLUDED.acr,
           amr = EXCLUDED.amr, auth_time = EXCLUDED.auth_time, expires_at = EXCLUDED.expires_at,
           factor_id = EXCLUDED.factor_id`,
        [
          tokenHash,
          session.userId,
          session.acr,
          session.amr,
          num(session.authTime, "authTime"),
          num(session.expiresAt, "expiresAt"),
          session.factorId ?? null,
        ],
      );
    },
    getSession(tokenHash, now) {
      // The hot path: one indexed SELECT; the checks that arrive within one turn of the event loop
      // share it (still one round trip each, nothing cached, revocation seen at once).
      return new Promise((resolve, reject) => {
        if (reads.length === 0) setImmediate(readSessions);
        reads.push({ tokenHash, now, resolve, reject });
        if (reads.length >= MAX_BATCH) readSessions();
      });
    },
    async touchSession(tokenHash, expiresAt, now) {
      const { rows } = await query<SessionRow>(
        `UPDATE ${s}.sessions SET expires_at = $2 WHERE token_hash = $1 AND expires_at > $3
         RETURNING token_hash, user_id, acr, amr, auth_time, expires_at, factor_id`,
        [tokenHash, num(expiresAt, "expiresAt"), num(now, "now")],
      );
      return rows[0] ? sessionOf(rows[0]) : null;
    },
    async revokeSession(tokenHash, now) {
      const { rows } = await query<{ live: boolean }>(
        `DELETE FROM ${s}.sessions WHERE token_hash = $1 RETURNING expires_at > $2 AS live`,
        [tokenHash, num(now, "now")],
      );
      return rows[0]?.live === true;
    },
    async revokeUserSessions(userId, now, scope) {
      // One DELETE: every session of the user, or those of one factor / of backup codes, never
      // the excepted one.
      const { rows } = await query<{ live: string }>(
        `WITH gone AS (DELETE FROM ${s}.sessions WHERE user_id = $1
           AND ($3::text IS NULL OR token_hash <> $3)
           AND (($4::text IS NULL AND NOT $5::boolean) OR factor_id = $4
             OR ($5::boolean AND factor_id IS NULL))
           RETURNING expires_at)
         SELECT count(*) FILTER (WHERE expires_at > $2) AS live FROM gone`,
        [
          userId,
          num(now, "now"),
          scope?.except ?? null,
          scope?.factorId ?? null,
          scope?.backupCode === true,
        ],
      );
      return Number(rows[0]?.live ?? 0);
    },

    claim: (userId, key, ttlMs, now) =>
      call<boolean>("claim_marker", [userId, key, num(now + ttlMs, "ttlMs"), num(now, "now")]),
    swap: (userId, key, value, ttlMs, now) =>
      call<string | null>("swap_marker", [
        userId,
        key,
        value,
        num(now + ttlMs, "ttlMs"),
        num(now, "now"),
      ]),
    async peek(userId, key, now) {
      const { rows } = await query<{ value: string }>(
        `SELECT value FROM ${s}.markers WHERE user_id = $1 AND key = $2 AND until > $3`,
        [userId, key, num(now, "now")],
      );
      return rows[0]?.value ?? null;
    },

    async outboxAdd(messages, _now) {
      if (messages.length === 0) return;
      // One INSERT: `seq` follows the order of the rows, so each stream keeps its order.
      await query(
        `INSERT INTO ${s}.outbox (stream, id, payload, attempts, created_at, due_at)
         SELECT stream, id, payload, attempts, created_at, due_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::bigint[])
         WITH ORDINALITY AS m(stream, id, payload, attempts, created_at, due_at, n) ORDER BY n`,
        [
          messages.map((m) => m.stream),
          messages.map((m) => m.id),
          messages.map((m) => m.payload),
          messages.map((m) => num(m.attempts, "attempts")),
          messages.map((m) => num(m.createdAt, "createdAt")),
          messages.map((m) => num(m.dueAt, "dueAt")),
        ],
      );
    },
    async outboxClaim(limit, leaseMs, now) {
      // The due, unleased heads of their streams, leased in the same statement. Two instances
      // claiming at once: the second UPDATE waits for the first's row lock, then finds the row
      // leased and skips it, so no message is handed out twice.
      const { rows } = await query<OutboxRow>(
        `UPDATE ${s}.outbox o SET leased_until = $2
         FROM (SELECT seq FROM (SELECT DISTINCT ON (stream) seq, due_at, leased_until
                 FROM ${s}.outbox ORDER BY stream, seq) head
               WHERE head.due_at <= $1 AND head.leased_until <= $1
               ORDER BY head.due_at, head.seq LIMIT $3) due
         WHERE o.seq = due.seq AND o.leased_until <= $1
         RETURNING o.stream, o.id, o.payload, o.attempts, o.created_at, o.due_at`,
        [num(now, "now"), num(now + leaseMs, "leaseMs"), Math.max(0, Math.floor(limit))],
      );
      return rows.map((r) => ({
        id: r.id,
        stream: r.stream,
        payload: r.payload,
        attempts: r.attempts,
        createdAt: Number(r.created_at),
        dueAt: Number(r.due_at),
      }));
    },
    async outboxDone(stream, id, _now) {
      await query(
        `DELETE FROM ${s}.outbox WHERE seq = (SELECT min(seq) FROM ${s}.outbox WHERE stream = $1)
           AND id = $2`,
        [stream, id],
      );
    },
    async outboxRetry(stream, id, attempts, dueAt, _now) {
      await query(
        `UPDATE ${s}.outbox SET attempts = $3, due_at = $4, leased_until = 0
         WHERE seq = (SELECT min(seq) FROM ${s}.outbox WHERE stream = $1) AND id = $2`,
        [stream, id, num(attempts, "attempts"), num(dueAt, "dueAt")],
      );
    },

    async purgeExpired(opts = {}) {
      const now = num(opts.now ?? Date.now(), "now");
      const batchSize = opts.batchSize ?? 1000;
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new RangeError("postgresStore: batchSize must be a positive integer");
      }
      // Each batch is its own statement (its own short transaction); SKIP LOCKED leaves rows a
      // verification holds right now for the next round.
      const batches = [
        `DELETE FROM ${s}.sessions WHERE token_hash IN (SELECT token_hash FROM ${s}.sessions WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        `DELETE FROM ${s}.one_time_codes WHERE (user_id, factor_id) IN (SELECT user_id, factor_id FROM ${s}.one_time_codes WHERE until <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        `DELETE FROM ${s}.challenges WHERE (user_id, key) IN (SELECT user_id, key FROM ${s}.challenges WHERE until <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        `DELETE FROM ${s}.markers WHERE (user_id, key) IN (SELECT user_id, key FROM ${s}.markers WHERE until <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        `DELETE FROM ${s}.throttles WHERE (user_id, key) IN (SELECT user_id, key FROM ${s}.throttles WHERE until <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        `UPDATE ${s}.users SET failures = '{}', locked_until = 0, lock_level = 0, level_until = 0, limiter_until = 0, streak = 0, streak_until = 0, suspended = false WHERE user_id IN (SELECT user_id FROM ${s}.users WHERE limiter_until > 0 AND limiter_until <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      ];
      let total = 0;
      for (const text of batches) {
        for (;;) {
          const { rowCount } = await query(text, [now, batchSize]);
          total += rowCount ?? 0;
          if ((rowCount ?? 0) < batchSize) break;
        }
      }
      return total;
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };

  let timer: ReturnType<typeof setInterval> | undefined;
  if (purgeEveryMs > 0) {
    timer = setInterval(() => {
      store.purgeExpired().catch(() => {
        // An outage: the next round tries again.
      });
    }, purgeEveryMs);
    timer.unref?.();
  }
  return store;
}
