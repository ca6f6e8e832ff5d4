import type { ContactChannel } from "@mfa-kit/protocol";
import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import type { ClockCheckOptions } from "./clock/clockCheck";
import type { MfaCrypto } from "./crypto/types";
import type { MfaEvent } from "./events/types";
import type { EncryptionKeys } from "./secrets/keyRing";
import type { MfaStore } from "./stores/types";
import type { WebhookDeliveryOptions, WebhookEndpoint } from "./webhooks/types";

/** TOTP parameters for new factors (existing factors keep the ones they were enrolled with). */
export interface TotpOptions {
  /** HMAC algorithm. Defaults to `"SHA1"` (what every authenticator app supports). */
  algorithm?: "SHA1" | "SHA256" | "SHA512";
  /** Code length. Defaults to `6`. */
  digits?: 6 | 8;
  /** Time step in seconds. Defaults to `30`. */
  period?: number;
  /** Steps accepted either side of the expected one (RFC 6238 §5.2). Defaults to `1`. */
  window?: number;
  /**
   * Steps accepted either side of the current one for the first code of a new TOTP factor (its
   * activation): it proves possession of the secret just shown, so a wider window is safe there
   * and lets phones whose clock is minutes off enrol; the drift it finds is remembered, and later
   * verifications keep `window`. Defaults to `10` (±5 minutes at 30 s steps), or `window` when
   * that is larger; an integer from 0 to 100.
   */
  activationWindow?: number;
  /** Random bytes in a new secret. Defaults to `20` (160 bits, RFC 4226 §4). */
  secretBytes?: number;
  /**
   * Past steps a wrong code is compared with, to tell the user their authenticator's clock is
   * behind (`hint: "authenticator_clock_behind"`, never accepted); `0` turns that off, at most 100.
   * Defaults to `10` (five minutes of 30 s steps).
   */
  diagnoseSteps?: number;
}

/** HOTP (RFC 4226) parameters: new factors' algorithm and digits, and verification windows. */
export interface HotpOptions {
  /** HMAC algorithm of new HOTP factors. Defaults to `"SHA1"` (RFC 4226). */
  algorithm?: "SHA1" | "SHA256" | "SHA512";
  /** Code length of new HOTP factors. Defaults to `6`. */
  digits?: 6 | 8;
  /** Counters checked ahead of the expected one (§7.4 look-ahead). Defaults to `10`. */
  lookAhead?: number;
  /** How far ahead a code may match to start a resynchronisation with the next code. Defaults to `100`. */
  resyncWindow?: number;
}

/** What the kit hands to {@link OtpOptions.send}: one code to deliver. */
export interface OtpMessage {
  channel: ContactChannel;
  /** The phone number (E.164) or e-mail address. */
  to: string;
  /** The code to deliver. Never logged or stored by the kit. */
  code: string;
  userId: string;
  factorId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** The issuer name, for the message text. */
  issuer: string;
}

/** SMS / e-mail one-time codes. */
export interface OtpOptions {
  /** Delivers a code (your SMS or e-mail provider). Required to enroll SMS / e-mail factors. */
  send?: (message: OtpMessage) => Promise<void> | void;
  /** Lifetime of a code in milliseconds. Defaults to `600_000` (10 minutes). */
  ttlMs?: number;
  /** Code length. Defaults to `6`. */
  digits?: number;
  /** Minimum time between two codes sent to one factor. Defaults to `60_000`. */
  resendAfterMs?: number;
  /** Most codes sent to one factor within an hour (against SMS pumping). Defaults to `5`. */
  maxSendsPerHour?: number;
}

/** Pending (not yet activated) factors. */
export interface EnrollmentOptions {
  /** How long a pending factor can be activated before it expires and is purged. Defaults to `600_000` (10 minutes). */
  pendingTtlMs?: number;
  /** Most pending factors a user has at once. Defaults to `5`. */
  maxPending?: number;
}

/** WebAuthn relying party settings (through `@simplewebauthn/server`). */
export interface WebauthnOptions {
  /**
   * The relying party id: your registrable domain, e.g. `example.com`, or several (sub-domains
   * each with their own id). Registration and authentication options name the first; a response
   * for any of them is accepted. Required for WebAuthn.
   */
  rpID: string | string[];
  /** The name shown by the authenticator. Defaults to the `issuer`. */
  rpName?: string;
  /** The expected origin(s), e.g. `https://example.com`, or a web app's and its mobile app's. Required for WebAuthn. */
  origin: string | string[];
  /** Whether the authenticator must verify the user (PIN, biometrics). Defaults to `"preferred"`. */
  userVerification?: "required" | "preferred" | "discouraged";
  /** After how long a security key (single-device credential) is flagged for re-registration. Defaults to 2 years. */
  reRegisterAfterMs?: number;
  /** Lifetime of a registration or authentication challenge. Defaults to `300_000`. */
  challengeTtlMs?: number;
  /**
   * COSE algorithms accepted for new credentials, in order of preference, e.g. add `-37`/`-38`
   * (RSA-PSS) or `-65535` (RS1, older TPM keys). Defaults to `[-8, -7, -257]` (EdDSA, ES256, RS256).
   */
  supportedAlgorithmIDs?: number[];
}

/** MFA sessions. */
export interface SessionOptions {
  /** Lifetime of a session, renewed by `refreshSession`. Defaults to `900_000` (15 minutes). */
  ttlMs?: number;
  /** No refresh extends a session past `authTime` plus this. Defaults to `43_200_000` (12 hours). */
  maxLifetimeMs?: number;
  /**
   * How many live sessions' token hashes this process remembers (token → SHA-256), so the session
   * check of a busy token skips the hash: the most expensive step of a guarded call. Only tokens
   * the store confirmed are kept, and a check the store refuses forgets its token, so guesses can
   * neither fill nor flush it; the store is still asked on every call, so a revoked session is
   * refused at once. It holds live tokens in process memory, never in the store: `0` turns it off.
   * Defaults to `10_000` (about 2 MB).
   */
  tokenHashCache?: number;
  /**
   * How far in this instance's future a session's `authTime` may lie (clock differences between
   * instances) before the session counts as fresh for no `max_age` and `clock.suspect` fires.
   * Defaults to `5_000`.
   */
  clockToleranceMs?: number;
}

/** The failure limiter. */
export interface LimitOptions {
  /** Failures within `windowMs` that lock the user. Defaults to `3`. */
  maxFailures?: number;
  /** The sliding window failures are counted in. Defaults to `300_000` (5 minutes). */
  windowMs?: number;
  /** Lock durations, one per successive lock; the last repeats. Defaults to `[30_000, 60_000, 120_000, 300_000]`. */
  lockoutsMs?: number[];
  /** How long the lock level is remembered after a lock ends. Defaults to `86_400_000` (24 hours). */
  levelTtlMs?: number;
  /**
   * Failures without a success after which code factors (TOTP, HOTP, SMS, e-mail) are suspended
   * until a success by WebAuthn or a backup code, or `unlock(userId)` (NIST SP 800-63B-4 caps
   * consecutive failures at 100). Defaults to `100`.
   */
  maxConsecutiveFailures?: number;
  /** How long failures without a success are remembered. Defaults to 365 days. */
  consecutiveTtlMs?: number;
}

/** Risk signals drawn from the verification context. */
export interface RiskOptions {
  /** Ask for a second, different factor when the country differs from the last success. Defaults to `true`. */
  additionalFactorOnCountryChange?: boolean;
  /** How long a device stays known after its last success. Defaults to 180 days. */
  deviceMemoryMs?: number;
  /**
   * With the country rule on, what a context without a usable country (a GeoIP miss, a malformed
   * value, `XX`) does once the user has succeeded from a known one: `"hold"` for the additional
   * factor, or `"allow"`. Defaults to `"hold"`.
   */
  unknownCountry?: "hold" | "allow";
}

/** Options of {@link createMfaServer}. */
export interface MfaServerOptions {
  /**
   * Your product's name: shown in authenticator apps and passed to `send`. Required. It may not
   * contain a colon (Key Uri Format: apps would split `Acme:Corp` into issuer and account).
   */
  issuer: string;
  /**
   * The account name authenticator apps show for a new TOTP / HOTP factor enrolled without a
   * `label`: the name the user knows (e-mail, user name), never an internal id. No colon. Defaults
   * to none: `enrollTotp` / `enrollHotp` then need a `label`.
   */
  accountName?: (userId: string) => string | Promise<string>;
  /** Where shared state lives. Defaults to `memoryStore()` (one instance only). */
  store?: MfaStore;
  /**
   * Keys that seal secrets at rest (AES-256-GCM). Defaults to one random key for this process,
   * which is only allowed with the default memory store (sealed secrets would not survive a restart).
   */
  encryptionKeys?: EncryptionKeys;
  /** TOTP parameters. Defaults to SHA1, 6 digits, 30 s, window 1 (activation window 10). */
  totp?: TotpOptions;
  /** HOTP parameters. Defaults to look-ahead 10, resync window 100. */
  hotp?: HotpOptions;
  /** SMS / e-mail codes. Defaults to 10-minute codes and no `send` (no contact factors). */
  otp?: OtpOptions;
  /** WebAuthn relying party. Defaults to none (no WebAuthn factors). */
  webauthn?: WebauthnOptions;
  /** MFA sessions. Defaults to 15 minutes, refreshable up to 12 hours. */
  sessions?: SessionOptions;
  /** Failure limiter. Defaults to 3 failures in 5 minutes, locks of 30 s, 1 min, 2 min, 5 min. */
  limits?: LimitOptions;
  /** Risk signals. Defaults to a second factor on country change. */
  risk?: RiskOptions;
  /** Backup codes per set. Defaults to `10`. */
  backupCodeCount?: number;
  /** Pending factors. Defaults to 10 minutes to activate, at most 5 at once. */
  enrollment?: EnrollmentOptions;
  /** Receives events, asynchronously; a throwing or hanging listener never affects verification. Defaults to none. */
  onEvent?: (event: MfaEvent) => void | Promise<void>;
  /** How long a listener may take before the kit stops waiting for it. Defaults to `5_000`. */
  eventTimeoutMs?: number;
  /** Told when a listener throws, rejects or times out. Defaults to `console.error` of a short line. */
  onEventError?: (error: unknown, event: MfaEvent) => void;
  /** Receivers of signed Standard Webhooks, delivered at least once through the store's outbox. Defaults to none. */
  webhooks?: WebhookEndpoint[];
  /** How webhooks are sent (transport, timeout, backoff). Defaults to a 10 s timeout, full-jitter backoff from 1 s. */
  webhookDelivery?: WebhookDeliveryOptions;
  /** The clock, epoch milliseconds. Defaults to `Date.now`. */
  now?: () => number;
  /**
   * Compares the server's clock with the `Date` of HTTPS sources the app trusts (HEAD requests,
   * median offset): `clock.suspect` fires when it is more than 30 s off, and step-up and verify
   * problems say which clock is off (`clockSide`). Defaults to none.
   */
  clockCheck?: ClockCheckOptions;
  /** The crypto implementation. Defaults to node:crypto under the `node` export condition, else the portable one. */
  crypto?: MfaCrypto;
}

/** Options after defaults: what the kit reads. */
export interface ResolvedOptions {
  issuer: string;
  accountName: MfaServerOptions["accountName"];
  totp: Required<TotpOptions>;
  hotp: Required<HotpOptions>;
  otp: Required<Omit<OtpOptions, "send">> & { send: OtpOptions["send"] };
  webauthn:
    | (Required<Omit<WebauthnOptions, "origin" | "rpID">> & {
        origin: string | string[];
        /** The relying party ids, the first one named in options. */
        rpIDs: string[];
      })
    | undefined;
  sessions: Required<SessionOptions>;
  limits: Required<LimitOptions>;
  risk: Required<RiskOptions>;
  enrollment: Required<EnrollmentOptions>;
  backupCodeCount: number;
  eventTimeoutMs: number;
}

const DAY = 86_400_000;

const positive = (name: string, value: number | undefined, fallback: number, min = 1): number => {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new MfaOptionError(
      name,
      `${name} must be a finite number >= ${min}, got ${String(value)}.`,
    );
  }
  return value;
};

/** A count of 30 s steps the kit may compute codes for: an integer from 0 to 100 (50 minutes). */
const steps = (name: string, value: unknown, fallback: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 100) {
    throw new MfaOptionError(
      name,
      `${name} must be an integer from 0 to 100, got ${String(value)}.`,
    );
  }
  return value as number;
};

const unknownCountry = (value: unknown): "hold" | "allow" => {
  if (value === undefined || value === "hold" || value === "allow") return value ?? "hold";
  throw new MfaOptionError(
    "risk.unknownCountry",
    `risk.unknownCountry must be "hold" or "allow", got ${String(value)}.`,
  );
};

/** Merges the defaults into `options` and checks them; throws an `MfaOptionError` naming a bad option. */
export function resolveOptions(options: MfaServerOptions): ResolvedOptions {
  if (typeof options?.issuer !== "string" || options.issuer.trim() === "") {
    throw new MfaOptionError(
      "issuer",
      "createMfaServer: `issuer` (your product's name) is required.",
    );
  }
  const totp = options.totp ?? {};
  const algorithm = totp.algorithm ?? "SHA1";
  if (!["SHA1", "SHA256", "SHA512"].includes(algorithm)) {
    throw new MfaOptionError(
      "totp.algorithm",
      `totp.algorithm must be SHA1, SHA256 or SHA512, got ${String(algorithm)}.`,
    );
  }
  const digits = totp.digits ?? 6;
  if (digits !== 6 && digits !== 8)
    throw new MfaOptionError("totp.digits", "totp.digits must be 6 or 8.");
  const window = positive("totp.window", totp.window, 1, 0);
  if (options.issuer.includes(":")) {
    throw new MfaOptionError(
      "issuer",
      `createMfaServer: \`issuer\` may not contain a colon, got ${JSON.stringify(options.issuer)}: authenticator apps split the otpauth label at the first colon (Key Uri Format), so "Acme:Corp" would show issuer "Acme" and account "Corp:…". Use another separator, e.g. "Acme Corp".`,
    );
  }
  if (options.accountName !== undefined && typeof options.accountName !== "function") {
    throw new MfaOptionError(
      "accountName",
      "accountName must be a function (userId) => the account name the user knows.",
    );
  }
  const hotpAlgorithm = options.hotp?.algorithm ?? "SHA1";
  if (!["SHA1", "SHA256", "SHA512"].includes(hotpAlgorithm)) {
    throw new MfaOptionError(
      "hotp.algorithm",
      `hotp.algorithm must be SHA1, SHA256 or SHA512, got ${String(hotpAlgorithm)}.`,
    );
  }
  const hotpDigits = options.hotp?.digits ?? 6;
  if (hotpDigits !== 6 && hotpDigits !== 8)
    throw new MfaOptionError("hotp.digits", "hotp.digits must be 6 or 8.");
  const limits = options.limits ?? {};
  const lockoutsMs = limits.lockoutsMs ?? [30_000, 60_000, 120_000, 300_000];
  if (!Array.isArray(lockoutsMs) || lockoutsMs.length === 0) {
    throw new MfaOptionError(
      "limits.lockoutsMs",
      "limits.lockoutsMs must list at least one lock duration.",
    );
  }
  lockoutsMs.forEach((ms, i) => {
    positive(`limits.lockoutsMs[${i}]`, ms, 0);
  });
  const webauthn = options.webauthn;
  const list = (value: unknown) => (Array.isArray(value) ? value : [value]);
  const rpIDs = list(webauthn?.rpID);
  const origins = list(webauthn?.origin);
  const nonEmpty = (values: unknown[]) =>
    values.length > 0 && values.every((v) => typeof v === "string" && v !== "");
  if (webauthn && (!nonEmpty(rpIDs) || !nonEmpty(origins))) {
    throw new MfaOptionError(
      "webauthn",
      "webauthn needs `rpID` (your domain) and `origin` (e.g. https://example.com): each a non-empty string or a non-empty list of them.",
    );
  }
  const algorithmIDs = webauthn?.supportedAlgorithmIDs ?? [-8, -7, -257];
  if (
    !Array.isArray(algorithmIDs) ||
    algorithmIDs.length === 0 ||
    !algorithmIDs.every((id) => Number.isSafeInteger(id))
  ) {
    throw new MfaOptionError(
      "webauthn.supportedAlgorithmIDs",
      "webauthn.supportedAlgorithmIDs must list at least one COSE algorithm id (an integer, e.g. -7).",
    );
  }
  return {
    issuer: options.issuer,
    accountName: options.accountName,
    totp: {
      algorithm,
      digits,
      period: positive("totp.period", totp.period, 30),
      window,
      activationWindow: steps("totp.activationWindow", totp.activationWindow, Math.max(10, window)),
      secretBytes: positive("totp.secretBytes", totp.secretBytes, 20, 16),
      diagnoseSteps: steps("totp.diagnoseSteps", totp.diagnoseSteps, 10),
    },
    hotp: {
      algorithm: hotpAlgorithm,
      digits: hotpDigits,
      lookAhead: positive("hotp.lookAhead", options.hotp?.lookAhead, 10, 0),
      resyncWindow: positive("hotp.resyncWindow", options.hotp?.resyncWindow, 100, 0),
    },
    otp: {
      send: options.otp?.send,
      ttlMs: positive("otp.ttlMs", options.otp?.ttlMs, 600_000),
      digits: positive("otp.digits", options.otp?.digits, 6, 6),
      resendAfterMs: positive("otp.resendAfterMs", options.otp?.resendAfterMs, 60_000, 0),
      maxSendsPerHour: positive("otp.maxSendsPerHour", options.otp?.maxSendsPerHour, 5),
    },
    webauthn: webauthn && {
      rpIDs: rpIDs as string[],
      rpName: webauthn.rpName ?? options.issuer,
      origin: Array.isArray(webauthn.origin) ? [...webauthn.origin] : webauthn.origin,
      supportedAlgorithmIDs: [...algorithmIDs],
      userVerification: webauthn.userVerification ?? "preferred",
      reRegisterAfterMs: positive(
        "webauthn.reRegisterAfterMs",
        webauthn.reRegisterAfterMs,
        730 * DAY,
      ),
      challengeTtlMs: positive("webauthn.challengeTtlMs", webauthn.challengeTtlMs, 300_000),
    },
    sessions: {
      ttlMs: positive("sessions.ttlMs", options.sessions?.ttlMs, 900_000),
      maxLifetimeMs: positive("sessions.maxLifetimeMs", options.sessions?.maxLifetimeMs, DAY / 2),
      tokenHashCache: Math.floor(
        positive("sessions.tokenHashCache", options.sessions?.tokenHashCache, 10_000, 0),
      ),
      clockToleranceMs: positive(
        "sessions.clockToleranceMs",
        options.sessions?.clockToleranceMs,
        5_000,
        0,
      ),
    },
    limits: {
      maxFailures: positive("limits.maxFailures", limits.maxFailures, 3),
      windowMs: positive("limits.windowMs", limits.windowMs, 300_000),
      lockoutsMs: [...lockoutsMs],
      levelTtlMs: positive("limits.levelTtlMs", limits.levelTtlMs, DAY, 0),
      maxConsecutiveFailures: positive(
        "limits.maxConsecutiveFailures",
        limits.maxConsecutiveFailures,
        100,
      ),
      consecutiveTtlMs: positive("limits.consecutiveTtlMs", limits.consecutiveTtlMs, 365 * DAY),
    },
    risk: {
      additionalFactorOnCountryChange: options.risk?.additionalFactorOnCountryChange ?? true,
      deviceMemoryMs: positive("risk.deviceMemoryMs", options.risk?.deviceMemoryMs, 180 * DAY),
      unknownCountry: unknownCountry(options.risk?.unknownCountry),
    },
    enrollment: {
      pendingTtlMs: positive("enrollment.pendingTtlMs", options.enrollment?.pendingTtlMs, 600_000),
      maxPending: Math.floor(positive("enrollment.maxPending", options.enrollment?.maxPending, 5)),
    },
    backupCodeCount: positive("backupCodeCount", options.backupCodeCount, 10),
    eventTimeoutMs: positive("eventTimeoutMs", options.eventTimeoutMs, 5_000),
  };
}
