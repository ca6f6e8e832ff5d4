import type {
  ActivateFactorResponse,
  BackupCodesResponse,
  EnrollContactRequest,
  EnrollContactResponse,
  EnrollTotpRequest,
  EnrollTotpResponse,
  ListFactorsResponse,
  StartChallengeResponse,
  WebAuthnJSON,
  WebauthnRegistrationRequest,
} from "@mfa-kit/protocol";
import type { Engine } from "./engine/engine";
import { MfaError } from "./engine/mfaError";

/** Typed calls of the reference API's routes, through `mfa.fetch` (refresh, step-up, retries apply). */
export interface MfaApi {
  /** Starts a TOTP enrollment: a secret and an `otpauth://` URI to show as a QR code. */
  enrollTotp(body?: EnrollTotpRequest): Promise<EnrollTotpResponse>;
  /** Starts an SMS or e-mail enrollment; a first code is sent. */
  enrollContact(body: EnrollContactRequest): Promise<EnrollContactResponse>;
  /** Activates a pending factor with a first code; the first factor comes with backup codes. */
  activateFactor(factorId: string, code: string): Promise<ActivateFactorResponse>;
  /** WebAuthn creation options for `startRegistration()`. */
  webauthnRegistrationOptions(): Promise<WebAuthnJSON>;
  /** Registers a security key or passkey from `startRegistration()`'s result. */
  verifyWebauthnRegistration(body: WebauthnRegistrationRequest): Promise<ActivateFactorResponse>;
  /** The user's factors and how many backup codes are left. */
  listFactors(): Promise<ListFactorsResponse>;
  /** Removes a factor (the API asks for a fresh step-up; the client handles it). */
  removeFactor(factorId: string): Promise<void>;
  /** Renames a factor (needs an MFA session; the client steps up when there is none). */
  renameFactor(factorId: string, label: string): Promise<ActivateFactorResponse>;
  /** Sends an SMS/e-mail code, or gets WebAuthn options to sign. */
  startChallenge(factorId: string): Promise<StartChallengeResponse>;
  /** A new set of backup codes (needs a fresh step-up). */
  regenerateBackupCodes(): Promise<BackupCodesResponse>;
  /** Ends the MFA session on the server, then forgets it here (even if the call fails). */
  signOut(): Promise<void>;
}

/** The names of {@link MfaApi}'s calls (`onDemand.test.ts` checks them against `mfaApiOf`'s). */
const MFA_API_CALLS = (
  "enrollTotp enrollContact activateFactor webauthnRegistrationOptions verifyWebauthnRegistration " +
  "listFactors removeFactor renameFactor startChallenge regenerateBackupCodes signOut"
).split(" ") as (keyof MfaApi)[];

/**
 * `mfa.api`: each call loads the calls (`./mfaApiCalls`) on first use, so that an app that never
 * manages factors does not carry them. A failed load rejects with `NETWORK` and is tried again by
 * the next call.
 */
export function createMfaApi(engine: Engine): MfaApi {
  let calls: Promise<MfaApi> | undefined;
  const load = () => {
    calls ??= import("./mfaApiCalls").then(
      (m) => m.mfaApiOf(engine),
      (cause) => {
        calls = undefined;
        throw new MfaError("NETWORK", "mfa.api could not be loaded.", { cause });
      },
    );
    return calls;
  };
  const api: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const name of MFA_API_CALLS) {
    api[name] = (...args) =>
      load().then((a) => (a[name] as (...args: never[]) => Promise<unknown>)(...args));
  }
  return api as unknown as MfaApi;
}
