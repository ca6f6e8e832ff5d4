import type { FactorSummary } from "./problem";

/** Where the reference API's routes live unless configured otherwise. */
export const DEFAULT_BASE_PATH = "/mfa";

/**
 * The routes of the reference API, relative to its base path (default {@link DEFAULT_BASE_PATH}).
 * `:factorId` is a path parameter; {@link mfaPath} fills it in. The methods are in
 * `MfaRouteTable` (`@mfa-kit/protocol/vocabulary`).
 *
 * | route | method | request body | response body |
 * |---|---|---|---|
 * | enrollTotp | POST | {@link EnrollTotpRequest} | {@link EnrollTotpResponse} |
 * | enrollContact | POST | {@link EnrollContactRequest} | {@link EnrollContactResponse} |
 * | activateFactor | POST | {@link ActivateFactorRequest} | {@link ActivateFactorResponse} |
 * | webauthnRegistrationOptions | POST | none | WebAuthn creation options (JSON) |
 * | webauthnRegistrationVerify | POST | {@link WebauthnRegistrationRequest} | {@link ActivateFactorResponse} |
 * | listFactors | GET | none | {@link ListFactorsResponse} |
 * | removeFactor | DELETE | none (needs step-up) | 204 |
 * | renameFactor | PATCH | {@link RenameFactorRequest} (needs an MFA session) | {@link ActivateFactorResponse} |
 * | challenge | POST | {@link StartChallengeRequest} | {@link StartChallengeResponse} |
 * | verify | POST | {@link VerifyRequest} | {@link MfaSessionResponse} |
 * | refreshSession | POST | none (`X-Session-Token`) | {@link MfaSessionResponse} |
 * | regenerateBackupCodes | POST | none (needs step-up) | {@link BackupCodesResponse} |
 * | signOut | POST | none | 204 |
 */
export const MfaRoutes = {
  enrollTotp: "/totp/enroll",
  enrollContact: "/contact/enroll",
  activateFactor: "/factors/:factorId/activate",
  webauthnRegistrationOptions: "/webauthn/registration/options",
  webauthnRegistrationVerify: "/webauthn/registration/verify",
  listFactors: "/factors",
  removeFactor: "/factors/:factorId",
  renameFactor: "/factors/:factorId",
  challenge: "/challenge",
  verify: "/verify",
  refreshSession: "/session/refresh",
  regenerateBackupCodes: "/backup-codes/regenerate",
  signOut: "/signout",
} as const;

/** The name of one route of the reference API. */
export type MfaRouteName = keyof typeof MfaRoutes;

/**
 * The full path of a route: `mfaPath("activateFactor", { factorId: "f1" })` is
 * `/mfa/factors/f1/activate`. Parameters are URI-encoded. `basePath` defaults to `/mfa`.
 */
export function mfaPath(
  route: MfaRouteName,
  params: { factorId?: string } = {},
  basePath: string = DEFAULT_BASE_PATH,
): string {
  return (
    basePath.replace(/\/+$/, "") +
    MfaRoutes[route].replace(":factorId", encodeURIComponent(params.factorId ?? ""))
  );
}

/** Body of `POST {base}/totp/enroll`. */
export interface EnrollTotpRequest {
  /** The account name shown in the authenticator app. Defaults to the user's id. */
  label?: string;
}

/** Answer of `POST {base}/totp/enroll`: show `otpauthUri` as a QR code, `secret` as the manual key. */
export interface EnrollTotpResponse {
  factorId: string;
  /** Base32, unpadded. */
  secret: string;
  /** `otpauth://totp/...` (Key Uri Format). */
  otpauthUri: string;
}

/** A delivery channel for one-time codes. */
export type ContactChannel = "sms" | "email";

/** Body of `POST {base}/contact/enroll`. */
export interface EnrollContactRequest {
  channel: ContactChannel;
  /** Phone number (E.164) or e-mail address. */
  to: string;
}

/** Answer of `POST {base}/contact/enroll`; a first code was sent, activate with it. */
export interface EnrollContactResponse {
  factorId: string;
  /** The challenge that carries the activation code. */
  challengeId?: string;
}

/** Body of `POST {base}/factors/:factorId/activate`. */
export interface ActivateFactorRequest {
  code: string;
}

/** Answer of an activation: the user's first factor comes with a set of backup codes, shown once. */
export interface ActivateFactorResponse {
  factor: FactorSummary;
  backupCodes?: string[];
  /**
   * The MFA session the activation opened (the code just entered proves the factor), so the
   * user is not asked for another code moments later. Send it as `X-Session-Token`.
   */
  session?: MfaSessionResponse;
}

/** Body of `POST {base}/webauthn/registration/verify`. */
export interface WebauthnRegistrationRequest {
  /** The `RegistrationResponseJSON` from `startRegistration()`. */
  response: WebAuthnJSON;
  label?: string;
}

/** Body of `PATCH {base}/factors/:factorId`. */
export interface RenameFactorRequest {
  /** The new name, 1–64 characters after trimming. */
  label: string;
}

/** Answer of `GET {base}/factors`. */
export interface ListFactorsResponse {
  factors: FactorSummary[];
  /** Unused backup codes left. */
  backupCodesRemaining: number;
}

/** Body of `POST {base}/challenge`. */
export interface StartChallengeRequest {
  factorId: string;
}

/** Answer of `POST {base}/challenge`: an SMS/e-mail code was sent, or WebAuthn options to sign. */
export interface StartChallengeResponse {
  challengeId: string;
  /** Epoch milliseconds (server clock). */
  expiresAt: number;
  /** `PublicKeyCredentialRequestOptionsJSON` for `startAuthentication()`, for WebAuthn factors. */
  webauthnOptions?: WebAuthnJSON;
}

/** A WebAuthn JSON object (options or a credential response), passed through untouched. */
export type WebAuthnJSON = { [key: string]: unknown };

/** Body of `POST {base}/verify`: exactly one of `code`, `webauthn`, `backupCode`. */
export interface VerifyRequest {
  factorId?: string;
  challengeId?: string;
  code?: string;
  /** The `AuthenticationResponseJSON` from `startAuthentication()`. */
  webauthn?: WebAuthnJSON;
  backupCode?: string;
}

/** An MFA session, as `verify` and `refreshSession` answer it. */
export interface MfaSessionResponse {
  /** Opaque; send it as `X-Session-Token`. */
  token: string;
  /** Epoch milliseconds (server clock). */
  expiresAt: number;
  /** Authentication context class reached (e.g. `mfa`, `phr` for a security key). */
  acr: string;
  /** Authentication methods used (RFC 8176: `otp`, `sms`, `hwk`, ...). */
  amr: string[];
  /** When a factor was last verified, epoch milliseconds (server clock): `max_age` counts from it. */
  authTime: number;
}

/** Answer of `POST {base}/backup-codes/regenerate` (and part of a first activation). */
export interface BackupCodesResponse {
  backupCodes: string[];
}
