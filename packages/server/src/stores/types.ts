/**
 * The state the server kit shares between instances goes through this interface: factors, backup
 * codes, the failure limiter, one-time codes, challenges, sessions and a few small markers.
 *
 * Rules every implementation keeps:
 * - Every method is ONE atomic step (one Redis Lua script or one command, one round trip). The kit
 *   never reads a value to decide a write; each check-and-set lives inside a single method. A whole
 *   verification (lock, replay guard, code consumption, failure count, markers, session) is one
 *   call: {@link MfaStore.verifyAttempt}.
 * - Values are strings (or flat string maps); the kit serialises anything richer. Nothing secret
 *   reaches the store in the clear: secrets are sealed, codes and tokens are hashed.
 * - Transient state carries a TTL (challenges, codes, sessions, limiter state, markers). Factor
 *   records, backup-code sets and their revision are the user's configuration and live until removed.
 * - Time-dependent methods take `now` (epoch milliseconds from the kit's clock) so every instance
 *   and every test agrees on time. Expiry is decided against `now` (store the deadline with the
 *   value); a store's own TTLs (Redis `PX`) only collect garbage and must not end an entry early.
 * - Everything except sessions is scoped by `userId`, so a Redis implementation can put one user's
 *   keys in one hash slot (`mfa:{<tag>}:...`). Sessions join it through
 *   {@link MfaStore.sessionTokenTag}: the token hash then names the user's tag.
 * - The store reads two fields of a factor record and no other: `status` (`"pending"` or
 *   `"active"`) and, on a pending record, `pendingUntil` (epoch milliseconds, a decimal string).
 *   A pending record whose `pendingUntil` is missing, not a number or `<= now` is expired: it is
 *   never activated, and {@link MfaStore.createPendingFactor} and {@link MfaStore.activateFactor}
 *   delete it.
 * - A store that cannot answer (connection lost, timeout) rejects with a `StoreUnavailableError`
 *   (`code: "store_unavailable"`, from `@mfa-kit/server`): the kit answers 503 with `Retry-After`
 *   and accepts nothing. Any other rejection is a bug and answers 500.
 *
 * `describeStoreContract` in `storeContract.testkit.ts` is the executable form of these rules.
 */
export interface MfaStore {
  // ---- factors: a flat string map per factor (a Redis hash), and a revision per user ------------

  /**
   * Everything the kit verifies against, in one read: the user's factor records, the salt and size
   * of the backup-code set, and the revision of both (`rev`). `{ rev, factors: {}, backupCodes:
   * null }` for a user without any.
   */
  loadFactors(userId: string): Promise<UserFactors>;
  /** Creates a factor record and moves `rev`; `false` (and nothing written) when the id is taken. */
  createFactor(userId: string, factorId: string, fields: FactorRecord): Promise<boolean>;
  /**
   * Creates a pending factor (`fields.status` is `"pending"` and `fields.pendingUntil` its deadline)
   * in one step: `false`, writing nothing, when the id is in use; otherwise deletes every expired
   * pending record of the user (see the rules above), then, while the user still has
   * `maxPending` or more live pending records, the one with the earliest `pendingUntil` (ties: the
   * smallest id), and creates the record; `rev` moves. So a user never holds more than
   * `maxPending` pending factors, and nobody can keep a user from enrolling by filling the slots.
   */
  createPendingFactor(
    userId: string,
    factorId: string,
    fields: FactorRecord,
    limit: { maxPending: number },
    now: number,
  ): Promise<boolean>;
  /**
   * Turns a pending factor active, deciding in the same step whether the caller may:
   *
   * - `not_found`: no such record (nothing written).
   * - `active`: it is active already (nothing written).
   * - `expired`: it is pending and expired; the record is deleted and `rev` moves.
   * - `step_up_required`: ANOTHER factor of the user has `status` `"active"` at this moment and
   *   `stepUp` is `false` (nothing written). So of two racing first activations without a fresh
   *   MFA session, exactly one passes; the other sees the first one's factor.
   * - `activated`: `status` becomes `"active"`, `pendingUntil` is removed, `rev` moves.
   *
   * `stepUp` says the caller showed a fresh MFA session of this user (the kit checked it).
   */
  activateFactor(
    userId: string,
    factorId: string,
    activation: { stepUp: boolean },
    now: number,
  ): Promise<ActivationOutcome>;
  /** Merges `fields` into an existing record and moves `rev`; `false` (nothing written) when absent. */
  patchFactor(userId: string, factorId: string, fields: FactorRecord): Promise<boolean>;
  /** Removes a factor record and moves `rev`; `true` when there was one. */
  deleteFactor(userId: string, factorId: string): Promise<boolean>;

  // ---- backup codes: one salted set per user ------------------------------------------------------

  /**
   * Stores a new backup-code set, voiding the previous one in the same step, and moves `rev`. With
   * `ifAbsent`, writes only when the user has no set yet (the first activation) and returns `false`
   * otherwise. An empty `hashes` list deletes the set.
   */
  setBackupCodes(
    userId: string,
    set: BackupCodeSet,
    options?: { ifAbsent?: boolean },
  ): Promise<boolean>;

  // ---- verification: the whole decision in one step -----------------------------------------------

  /**
   * Decides one verification attempt atomically, in this order:
   *
   * 1. `stale`, writing nothing, unless `attempt.rev` is the user's current revision and every
   *    check's factor exists with its `expect`ed fields (the kit computed the checks from a cached
   *    {@link UserFactors} and recomputes them from a fresh one).
   * 2. `suspended` while the user's code factors are suspended (see 4) and any check is
   *    `guessable` (nothing consumed, nothing counted).
   * 3. `locked` while the user is locked (nothing consumed, nothing counted).
   * 4. The checks, in order, until one passes (see {@link CredentialCheck}): each consumes what it
   *    names (a challenge, a one-time code, a backup code) and advances its counter (the replay
   *    guard), so of any number of concurrent attempts with one credential exactly one passes.
   *    At most as many checks run as failures are left before the lock (`policy.maxFailures`
   *    minus the window's failures) and before the suspension (`maxConsecutiveFailures` minus the
   *    consecutive failures), at least one: the checks not run do nothing and count nothing, so
   *    a lock never follows more than `maxFailures` factor checks.
   * 5. The limiter. A success clears the failures, the lock level and the consecutive failures
   *    (which lifts a suspension). A failure counts ONE FAILURE PER CHECK that failed (a code
   *    tried against four factors is four failures): each is recorded in the sliding window and,
   *    when the window holds `policy.maxFailures` or more, a lock of `lockoutsMs[level]` starts
   *    (the last entry repeats), the level rises and the window is cleared. Each failure also adds
   *    one to the user's consecutive failures (kept `policy.consecutiveTtlMs` after the last one);
   *    reaching `policy.maxConsecutiveFailures` suspends the user's code factors (`suspended`
   *    in the answer) until a success, which only a check that is not `guessable` can now be,
   *    or {@link MfaStore.unlock}.
   * 6. On success, `attempt.success`: stop with `held` when the `hold` marker holds another live
   *    value; else swap the markers (their previous values are returned) and create the session
   *    with the passing check's `acr`, `amr` and `factorId`, `authTime` = `now`.
   */
  verifyAttempt(userId: string, attempt: VerifyAttempt, now: number): Promise<AttemptResult>;
  /** Milliseconds until the user's lock ends; 0 when not locked. */
  lockedFor(userId: string, now: number): Promise<number>;
  /**
   * Clears the user's failure limiter in one step: the window, the lock, the lock level and the
   * consecutive failures (lifting a suspension). `true` when the user was locked or suspended.
   */
  unlock(userId: string, now: number): Promise<boolean>;

  // ---- throttles: how often something may happen (codes sent) -------------------------------------

  /**
   * Records one event under `key` of the user when `limit` allows it and answers `0`; otherwise
   * records nothing and answers the milliseconds until the next event would be allowed (at least
   * 1). Allowed means: at least `intervalMs` since the last recorded event, and fewer than `max`
   * events recorded within the last `windowMs` (an event at `t` counts while `t > now - windowMs`).
   * One atomic step: of concurrent callers, exactly as many as the limit allows get `0`.
   */
  throttle(userId: string, key: string, limit: ThrottleLimit, now: number): Promise<number>;

  // ---- one-time codes (SMS / e-mail): one live code per factor ------------------------------------

  /**
   * Stores the live code of a factor, replacing (voiding) the previous one. The record is kept for
   * `ttlMs`, which the kit makes longer than the code's lifetime so that late tries read `expired`.
   * A {@link CredentialCheck} of kind `code` consumes it.
   */
  putCode(
    userId: string,
    factorId: string,
    code: StoredCode,
    ttlMs: number,
    now: number,
  ): Promise<void>;

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

  /**
   * Optional: a short tag of `userId` (1 to 32 characters of `A-Z a-z 0-9 _ -`) that the kit puts
   * in front of the user's session tokens, `<tag>.<random>`, and of their hashes, `<tag>.<hash>`,
   * so a store can find where the user's state lives from the token alone (Redis puts a session
   * in its user's hash slot). Without it tokens carry no tag. Not a secret, so it should not spell
   * out the id (a short hash of it, say); tokens stay 256 random bits besides it.
   */
  sessionTokenTag?(userId: string): string;

  /** Stores a session until `session.expiresAt` and indexes it under its user for revocation. */
  createSession(tokenHash: string, session: StoredSession, now: number): Promise<void>;
  /**
   * The live session, or `null` when unknown, expired or revoked. The hot path: one lookup. A store
   * that has the answer at hand may return it directly instead of a promise (the memory store
   * does), which spares every guarded request the promise's hops. The answer is read-only: a store
   * may hand out one frozen record to every caller.
   */
  getSession(tokenHash: string, now: number): StoredSession | null | Promise<StoredSession | null>;
  /** Moves a live session's expiry to `expiresAt` and returns it, or `null` when not live. */
  touchSession(tokenHash: string, expiresAt: number, now: number): Promise<StoredSession | null>;
  /**
   * Revokes one session; `true` when it was live at `now` (an expired session is removed too, but
   * answers `false`, whether or not the store had collected it yet).
   */
  revokeSession(tokenHash: string, now: number): Promise<boolean>;
  /**
   * Revokes the user's sessions that `scope` selects, in one step, and returns how many of them
   * were live: without `scope` (or with neither `factorId` nor `backupCode`) every session; with
   * `factorId`, those whose {@link StoredSession.factorId} is that factor; with `backupCode`,
   * those opened by a backup code (no `factorId`). Both may be given (either selects). The
   * session whose token hash is `scope.except` is never revoked.
   */
  revokeUserSessions(userId: string, now: number, scope?: SessionScope): Promise<number>;

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

/** What {@link MfaStore.revokeUserSessions} revokes. */
export interface SessionScope {
  /** Sessions opened with this factor. */
  factorId?: string;
  /** Sessions opened with a backup code (those without a `factorId`). */
  backupCode?: boolean;
  /** The token hash of a session to keep whatever else is selected (the caller's own). */
  except?: string;
}

/** The answer of {@link MfaStore.activateFactor}. */
export type ActivationOutcome =
  | "activated"
  | "active"
  | "not_found"
  | "expired"
  | "step_up_required";

/** A limit of {@link MfaStore.throttle}. */
export interface ThrottleLimit {
  /** The least time between two events. `0`: no interval. */
  intervalMs: number;
  /** The most events within `windowMs`. */
  max: number;
  /** The window `max` counts in. */
  windowMs: number;
}

/** A stored factor: flat string fields (a Redis hash). The kit owns the field names. */
export type FactorRecord = Record<string, string>;

/** A user's factors as {@link MfaStore.loadFactors} returns them. */
export interface UserFactors {
  /**
   * The revision of the user's factor configuration: `"0"` while the user has no factor and no
   * backup-code set; otherwise a new value, never one held before, each time a factor is created,
   * patched or deleted or the backup-code set is replaced. Counters and `patch`es written by
   * {@link MfaStore.verifyAttempt} leave it alone (checks `expect` the fields they depend on
   * instead), so a cached copy stays usable across verifications.
   */
  rev: string;
  /** Every factor record, keyed by factor id. */
  factors: Record<string, FactorRecord>;
  /** The salt of the backup-code set and how many codes are left, or `null` without a set. */
  backupCodes: { salt: string; remaining: number } | null;
}

/** A backup-code set: one random salt and the salted hashes of the unused codes. */
export interface BackupCodeSet {
  salt: string;
  hashes: string[];
}

/** The failure policy of {@link MfaStore.verifyAttempt} (from the kit's `limits` option). */
export interface LimitPolicy {
  /** Failures within `windowMs` that start a lock. */
  maxFailures: number;
  /** The sliding window failures are counted in. */
  windowMs: number;
  /** Lock durations by level: the first lock, the second, ...; the last one repeats. */
  lockoutsMs: number[];
  /** How long the lock level is remembered after the last lock ends. */
  levelTtlMs: number;
  /** Failures without a success that suspend the user's code factors (`guessable` checks). */
  maxConsecutiveFailures: number;
  /** How long the consecutive failures (and a suspension) are remembered after the last failure. */
  consecutiveTtlMs: number;
}

/** Why a check did not pass; each one is a counted failure. */
export type AttemptFailure = "invalid_code" | "code_expired" | "code_reused" | "resync_required";

/** One verification attempt for {@link MfaStore.verifyAttempt}. */
export interface VerifyAttempt {
  /** The {@link UserFactors.rev} the checks were computed from. */
  rev: string;
  /** The credentials to try, in order; the first that passes wins. */
  checks: CredentialCheck[];
  /** The failure policy. */
  policy: LimitPolicy;
  /** What a success also does (markers, session). */
  success?: SuccessSteps;
}

/**
 * One credential to try. The kit does the cryptography (HMACs, signatures, code hashes) before the
 * call; the store does every check-and-set, so the outcome is decided in one atomic step.
 */
export type CredentialCheck = CheckBase &
  (
    | {
        /** The kit matched the credential; the factor's numeric `field` must move up to `value`. */
        kind: "counter";
        field: string;
        value: number;
      }
    | {
        /** The kit matched the credential and there is no counter to move (a counterless WebAuthn key). */
        kind: "match";
      }
    | {
        /**
         * An SMS / e-mail code: compare `hash` (in constant time) with the factor's live code, and mark
         * it used on a match. `challengeId`, when given, must name the live code. A missing (voided or
         * forgotten) code fails with `missing`.
         */
        kind: "code";
        hash: string;
        challengeId?: string;
        missing: AttemptFailure;
      }
    | {
        /** A backup code: remove `hash` from the user's set (it passes when it was there). */
        kind: "backupCode";
        hash: string;
      }
    | {
        /**
         * HOTP resynchronisation (RFC 4226 §7.4) when the code is not within the look-ahead: take the
         * pending counter `p` stored under challenge `key`; when `p + 1` is one of `matches` (the
         * counters the code matched), move `field` up to `p + 2` and pass. Otherwise, with a
         * `candidate`, store it under `key` for `ttlMs` and fail with `resync_required`; without
         * one, fail with `failure`.
         */
        kind: "resync";
        key: string;
        field: string;
        matches: number[];
        candidate?: number;
        ttlMs: number;
        failure: AttemptFailure;
      }
    | {
        /** The kit found no match (or a malformed credential): a failure with this reason. */
        kind: "none";
        failure: AttemptFailure;
      }
  );

/** What every {@link CredentialCheck} has. */
export interface CheckBase {
  /** The factor checked (absent for backup codes): it must exist, and is patched on success. */
  factorId?: string;
  /** Fields of the factor that must still hold these values (a missing field reads as `""`). */
  expect?: FactorRecord;
  /** A single-use challenge the check consumes first, whatever the outcome; missing: `code_expired`. */
  challenge?: string;
  /** Merged into the factor record when the check passes. */
  patch?: FactorRecord;
  /** The authentication context class a pass reaches (the session's `acr`). */
  acr: string;
  /** The RFC 8176 method references of a pass (the session's `amr`). */
  amr: string[];
  /**
   * A short code an attacker can guess (TOTP, HOTP, SMS, e-mail): refused with `suspended` while
   * the user's code factors are suspended. Backup codes and WebAuthn assertions are not.
   */
  guessable?: boolean;
}

/** What a successful {@link VerifyAttempt} also does, in this order. */
export interface SuccessSteps {
  /** Stop (answer `held`, no markers, no session) when marker `key` holds a live value other than `value`. */
  hold?: { key: string; value: string };
  /** Markers to set; their previous live values come back in `previous`, in order. */
  swap?: { key: string; value: string; ttlMs: number }[];
  /** The session to create, keyed by the hash of its token. */
  session?: { tokenHash: string; expiresAt: number };
}

/** The answer of {@link MfaStore.verifyAttempt}. */
export type AttemptResult =
  | {
      ok: true;
      /** The index of the check that passed. */
      check: number;
      /** The previous values of the `success.swap` markers (empty when `held`). */
      previous: (string | null)[];
      /** The other live value of the `success.hold` marker, when it stopped the success steps. */
      held?: string;
      /** Backup codes left, when a backup code passed. */
      backupCodesRemaining?: number;
    }
  | { ok: false; reason: "stale" }
  | { ok: false; reason: "suspended" }
  | { ok: false; reason: "locked"; retryAfterMs: number }
  | {
      ok: false;
      reason: "failed";
      /** Why each check failed, in order. */
      failures: AttemptFailure[];
      /** Failures still allowed before a lock (0 when this one started a lock). */
      attemptsLeft: number;
      /** Set when this failure started a lock: its duration. */
      lockedForMs?: number;
      /** The lock level just started (1 for the first lock), with `lockedForMs`. */
      lockLevel?: number;
      /** Set when this failure reached `policy.maxConsecutiveFailures` (code factors suspended). */
      suspended?: true;
    };

/** A live SMS / e-mail code. */
export interface StoredCode {
  challengeId: string;
  /** The keyed hash of the code (never the code). */
  hash: string;
  /** Epoch milliseconds after which the code is refused as expired. */
  expiresAt: number;
}

/** A session as stored: what a live MFA session asserts (the claims `checkSession` returns). */
export interface StoredSession {
  userId: string;
  /** Authentication context class reached: `mfa`, or `phr` (phishing-resistant, WebAuthn). */
  acr: string;
  /** RFC 8176 method references, e.g. `["otp", "mfa"]`. */
  amr: string[];
  /** When a factor was last verified (epoch milliseconds): step-up `max_age` counts from here. */
  authTime: number;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** The factor verified, when it was one (not a backup code). */
  factorId?: string;
}
