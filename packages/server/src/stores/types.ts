/**
 * The state the server kit shares between instances goes through this interface: factors, backup
 * codes, the failure limiter, one-time codes, challenges, sessions and a few small markers.
 *
 * Rules every implementation keeps:
 * - Every method is ONE atomic step (one Redis Lua script or one command, one round trip). The kit
 *   never reads a value to decide a write; each check-and-set lives inside a single method.
 * - Values are strings (or flat string maps); the kit serialises anything richer as JSON. Nothing
 *   secret reaches the store in the clear: secrets are sealed, codes and tokens are hashed.
 * - Transient state carries a TTL (challenges, codes, sessions, limiter state, markers). Factor
 *   records and backup-code sets are the user's configuration and live until removed.
 * - Time-dependent methods take `now` (epoch milliseconds from the kit's clock) so every instance
 *   and every test agrees on time. Expiry is decided against `now` (store the deadline with the
 *   value); a store's own TTLs (Redis `PX`) only collect garbage and must not end an entry early.
 * - Everything except sessions is scoped by `userId`, so a Redis implementation can put one user's
 *   keys in one hash slot (`mfa:{<userId>}:...`).
 *
 * `describeStoreContract` in `storeContract.testkit.ts` is the executable form of these rules.
 */
export interface MfaStore {
  // ---- factors: a flat string map per factor (a Redis hash) -------------------------------------

  /** Creates a factor record; `false` (and nothing written) when the id is taken. */
  createFactor(userId: string, factorId: string, fields: FactorRecord): Promise<boolean>;
  /** One factor record, or `null`. */
  getFactor(userId: string, factorId: string): Promise<FactorRecord | null>;
  /** Every factor record of a user, keyed by factor id (`{}` when there is none). */
  listFactors(userId: string): Promise<Record<string, FactorRecord>>;
  /** Merges `fields` into an existing record; `false` (nothing written) when it does not exist. */
  patchFactor(userId: string, factorId: string, fields: FactorRecord): Promise<boolean>;
  /**
   * Sets numeric field `field` to `value` only when the record exists and `value` is greater than
   * the field's current value (a missing field counts as lower than any value). `true` when it was
   * set. The replay guard of TOTP (last accepted step), HOTP (next counter) and WebAuthn
   * (signature counter): of any number of concurrent calls with the same value, one wins.
   */
  advanceFactorCounter(
    userId: string,
    factorId: string,
    field: string,
    value: number,
  ): Promise<boolean>;
  /** Removes a factor record; `true` when there was one. */
  deleteFactor(userId: string, factorId: string): Promise<boolean>;

  // ---- backup codes: one salted set per user ------------------------------------------------------

  /**
   * Stores a new backup-code set, voiding the previous one in the same step. With `ifAbsent`, writes
   * only when the user has no set yet (the first activation) and returns `false` otherwise. An empty
   * `hashes` list deletes the set.
   */
  setBackupCodes(
    userId: string,
    set: BackupCodeSet,
    options?: { ifAbsent?: boolean },
  ): Promise<boolean>;
  /** The salt of the user's set and how many codes are left, or `null` when there is no set. */
  getBackupCodes(userId: string): Promise<{ salt: string; remaining: number } | null>;
  /** Removes `hash` from the user's set; `true` for exactly one of any concurrent callers. */
  consumeBackupCode(userId: string, hash: string): Promise<boolean>;

  // ---- failure limiter: counting, progressive lock and in-flight reservations ---------------------

  /**
   * Reserves one verification attempt before any code is checked. Refuses with `locked` while the
   * user is locked, and with `busy` while failures in the window plus reservations in flight already
   * reach `policy.maxFailures`, so concurrent guesses never check more codes than the policy allows.
   * A reservation lapses after `policy.leaseMs` if never settled.
   */
  reserveAttempt(
    userId: string,
    reservationId: string,
    policy: LimitPolicy,
    now: number,
  ): Promise<AttemptReservation>;
  /**
   * Settles a reservation in one step. A failure is recorded in the sliding window; reaching
   * `maxFailures` starts a lock of `lockoutsMs[level]` (the last entry repeats), raises the level,
   * and clears the window. A success clears the failures and the level.
   */
  settleAttempt(
    userId: string,
    reservationId: string,
    outcome: "success" | "failure",
    policy: LimitPolicy,
    now: number,
  ): Promise<AttemptSettlement>;
  /** Milliseconds until the user's lock ends; 0 when not locked. */
  lockedFor(userId: string, now: number): Promise<number>;

  // ---- one-time codes (SMS / e-mail): one live code per factor ------------------------------------

  /**
   * Stores the live code of a factor, replacing (voiding) the previous one. The record is kept for
   * `ttlMs`, which the kit makes longer than the code's lifetime so that late tries read `expired`.
   */
  putCode(
    userId: string,
    factorId: string,
    code: StoredCode,
    ttlMs: number,
    now: number,
  ): Promise<void>;
  /**
   * Compares `hash` with the live code in constant time and marks it used when it matches, in one
   * step. `challengeId`, when given, must name the live code (else `missing`: it was voided).
   */
  consumeCode(
    userId: string,
    factorId: string,
    attempt: { hash: string; challengeId?: string },
    now: number,
  ): Promise<CodeConsumption>;

  // ---- challenges: opaque single-use values (WebAuthn challenges, pending steps) ------------------

  /** Stores `value` under `key` for `ttlMs`, replacing what was there. */
  putChallenge(
    userId: string,
    key: string,
    value: string,
    ttlMs: number,
    now: number,
  ): Promise<void>;
  /** Returns and deletes the value in one step; of concurrent callers one gets it, others `null`. */
  takeChallenge(userId: string, key: string, now: number): Promise<string | null>;

  // ---- sessions: keyed by the hash of the opaque token --------------------------------------------

  /** Stores a session until `session.expiresAt` and indexes it under its user for revocation. */
  createSession(tokenHash: string, session: StoredSession, now: number): Promise<void>;
  /** The live session, or `null` when unknown, expired or revoked. The hot path: one lookup. */
  getSession(tokenHash: string, now: number): Promise<StoredSession | null>;
  /** Moves a live session's expiry to `expiresAt` and returns it, or `null` when not live. */
  touchSession(tokenHash: string, expiresAt: number, now: number): Promise<StoredSession | null>;
  /** Revokes one session; `true` when the store held it. */
  revokeSession(tokenHash: string): Promise<boolean>;
  /** Revokes every session of a user; returns how many were live. */
  revokeUserSessions(userId: string, now: number): Promise<number>;

  // ---- markers: small per-user values (known devices, last successful context) -------------------

  /** Sets `key` when absent (set-if-absent with TTL); `true` when this call set it. */
  claim(userId: string, key: string, ttlMs: number, now: number): Promise<boolean>;
  /** Sets `key` to `value` for `ttlMs` and returns the previous live value, in one step. */
  swap(
    userId: string,
    key: string,
    value: string,
    ttlMs: number,
    now: number,
  ): Promise<string | null>;
  /** The live value of `key`, or `null`. */
  peek(userId: string, key: string, now: number): Promise<string | null>;
}

/** A stored factor: flat string fields (a Redis hash). The kit owns the field names. */
export type FactorRecord = Record<string, string>;

/** A backup-code set: one random salt and the salted hashes of the unused codes. */
export interface BackupCodeSet {
  salt: string;
  hashes: string[];
}

/** The failure policy the limiter methods apply (from the kit's `limits` option). */
export interface LimitPolicy {
  /** Failures within `windowMs` that start a lock. */
  maxFailures: number;
  /** The sliding window failures are counted in. */
  windowMs: number;
  /** Lock durations by level: the first lock, the second, ...; the last one repeats. */
  lockoutsMs: number[];
  /** How long an unsettled reservation holds its place. */
  leaseMs: number;
  /** How long the lock level is remembered after the last lock ends. */
  levelTtlMs: number;
}

/** The answer of {@link MfaStore.reserveAttempt}. */
export type AttemptReservation =
  | {
      ok: true;
      /** Failures still allowed before a lock, this attempt included. */
      attemptsLeft: number;
    }
  | { ok: false; reason: "locked"; retryAfterMs: number }
  | { ok: false; reason: "busy" };

/** The answer of {@link MfaStore.settleAttempt}. */
export interface AttemptSettlement {
  /** Failures still allowed before a lock (after this outcome). */
  attemptsLeft: number;
  /** Set when this failure started a lock: its duration. */
  lockedForMs?: number;
  /** The lock level just started (1 for the first lock), with `lockedForMs`. */
  lockLevel?: number;
}

/** A live SMS / e-mail code. */
export interface StoredCode {
  challengeId: string;
  /** The keyed hash of the code (never the code). */
  hash: string;
  /** Epoch milliseconds after which the code is refused as expired. */
  expiresAt: number;
}

/** The answer of {@link MfaStore.consumeCode}. */
export type CodeConsumption = "ok" | "mismatch" | "expired" | "used" | "missing";

/** A session as stored: the claims as JSON, its user, and its expiry. */
export interface StoredSession {
  userId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** JSON of the session's claims. */
  value: string;
}
