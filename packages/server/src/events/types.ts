import type { FactorType } from "@mfa-kit/protocol";

/** Where a verification came from, as the app knows it (all optional). */
export interface VerifyContext {
  /** The client's IP address. */
  ip?: string;
  /** ISO 3166-1 alpha-2 country of the request (from your GeoIP or CDN header). */
  country?: string;
  /** A stable id of the device (e.g. a long-lived cookie). Only its hash is stored; never sent in events. */
  deviceId?: string;
  /** The `User-Agent`. */
  userAgent?: string;
}

/** The context as events carry it: the device id never leaves the kit. */
export type EventContext = Omit<VerifyContext, "deviceId">;

/** How a user proved presence: a factor type, or a backup code. */
export type MethodType = FactorType | "backup_code";

interface EventBase {
  /** A random id, to deduplicate deliveries. */
  id: string;
  userId: string;
  /** Epoch milliseconds (the kit's clock). */
  at: number;
}

/** A verification succeeded and a session was issued. */
export interface VerifiedEvent extends EventBase {
  type: "mfa.verified";
  factorId?: string;
  method: MethodType;
  acr: string;
  amr: string[];
  context: EventContext;
}

/** A verification failed (wrong, malformed, expired or replayed code, failed assertion). */
export interface FailedEvent extends EventBase {
  type: "mfa.failed";
  factorId?: string;
  method?: MethodType;
  reason: string;
  /** Failures left before a lock. */
  attemptsLeft: number;
  context: EventContext;
}

/** Too many failures: the user is locked out of every factor for `retryAfterMs`. */
export interface LockedEvent extends EventBase {
  type: "mfa.locked";
  retryAfterMs: number;
  /** 1 for the first lock, 2 for the next, ... */
  level: number;
  context: EventContext;
}

/** A factor became usable (activated, or a WebAuthn credential registered). */
export interface FactorEnrolledEvent extends EventBase {
  type: "factor.enrolled";
  factorId: string;
  factorType: FactorType;
}

/**
 * A factor from another provider was imported (`importTotp`, `importWebauthnCredential`), active at
 * once: an administrative action, worth an audit log line.
 */
export interface FactorImportedEvent extends EventBase {
  type: "factor.imported";
  factorId: string;
  factorType: FactorType;
}

/** A factor was removed. */
export interface FactorRemovedEvent extends EventBase {
  type: "factor.removed";
  factorId: string;
  factorType: FactorType;
}

/** A backup code was used: notify an administrator (and usually the user). */
export interface BackupCodeUsedEvent extends EventBase {
  type: "backup_code.used";
  notify: "admin";
  /** Unused codes left in the set. */
  remaining: number;
  context: EventContext;
}

/** A successful verification from a device not seen before: notify the user by e-mail. */
export interface NewDeviceEvent extends EventBase {
  type: "device.new";
  notify: "user";
  context: EventContext;
}

/** A verification from a different country than the last success. */
export interface LocationChangedEvent extends EventBase {
  type: "location.changed";
  from: string;
  to: string;
  /** Whether the verification was held until a second, different factor is verified. */
  additionalFactorRequired: boolean;
  context: EventContext;
}

/**
 * `limits.maxConsecutiveFailures` failures without a success: the user's code factors (TOTP, HOTP,
 * SMS, e-mail) are suspended until a success by WebAuthn or a backup code, or `unlock(userId)`.
 * Someone is guessing: notify the user (and usually an administrator).
 */
export interface SuspendedEvent extends EventBase {
  type: "limit.suspended";
  notify: "user";
  maxConsecutiveFailures: number;
  context: EventContext;
}

/** An administrator lifted a user's lock and suspension with `unlock(userId)`. */
export interface UnlockedEvent extends EventBase {
  type: "limit.unlocked";
  /** Whether the user was locked or suspended at that moment. */
  wasLocked: boolean;
}

/**
 * A clock is wrong. Without `side`: a session's `authTime` lies further in this instance's future
 * than `sessions.clockToleranceMs`, so the clock of the instance that issued it (or this one) is
 * wrong; such a session is fresh for no `max_age`; fires once per instance. With `side: "server"`:
 * the `clockCheck` option found this instance's own clock more than 30 s off the sources it trusts
 * (`userId` is then empty); fires when it goes off, again only after it came back.
 */
export interface ClockSuspectEvent extends EventBase {
  type: "clock.suspect";
  /**
   * How far ahead the suspect clock is, in milliseconds: the session's `authTime` in this
   * instance's future, or (`side: "server"`) this instance's clock ahead of its sources (negative:
   * behind them).
   */
  aheadMs: number;
  /** `"server"`: this instance's own clock, measured against the `clockCheck` sources. */
  side?: "server";
  /** With `side`: how many sources answered (their median offset is `-aheadMs`). */
  sources?: number;
}

/** Everything `onEvent` receives. Events never carry secrets, codes, tokens or device ids. */
export type MfaEvent =
  | VerifiedEvent
  | FailedEvent
  | LockedEvent
  | FactorEnrolledEvent
  | FactorImportedEvent
  | FactorRemovedEvent
  | BackupCodeUsedEvent
  | NewDeviceEvent
  | LocationChangedEvent
  | SuspendedEvent
  | UnlockedEvent
  | ClockSuspectEvent;

/** The `type` of an {@link MfaEvent}. */
export type MfaEventType = MfaEvent["type"];
