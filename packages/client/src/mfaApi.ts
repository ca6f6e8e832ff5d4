import {
  type ActivateFactorResponse,
  type BackupCodesResponse,
  type EnrollContactRequest,
  type EnrollContactResponse,
  type EnrollTotpRequest,
  type EnrollTotpResponse,
  isProblem,
  type ListFactorsResponse,
  type MfaRouteName,
  mfaPath,
  problemName,
  type StartChallengeResponse,
  type WebAuthnJSON,
  type WebauthnRegistrationRequest,
} from "@mfa-kit/protocol";
import type { MfaRouteTable } from "@mfa-kit/protocol/vocabulary";
import { answerError } from "./engine/answerError";
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

/** The typed API over `mfa.fetch`; a non-2xx answer rejects with an {@link MfaError}. */
export function createMfaApi(engine: Engine): MfaApi {
  // Each route's method is the protocol's (`MfaRouteTable`): another one does not build.
  const call = async <R extends MfaRouteName, T>(
    route: R,
    method: (typeof MfaRouteTable)[R]["method"],
    factorId = "",
    body?: unknown,
  ): Promise<T> => {
    const path = mfaPath(route, { factorId }, engine.o.paths.base);
    const res = await engine.call(new URL(path, engine.base()).href, method, body);
    if (res.status < 300) return res.body as T;
    const problem = isProblem(res.body) ? res.body : null;
    throw (
      ((res.status > 499 || /code|locked|rate/.test(problemName(problem)!)) &&
        answerError(res, engine.clock.now())) ||
      new MfaError("HTTP", `HTTP ${res.status} from ${path}.`, { status: res.status, problem })
    );
  };

  return {
    enrollTotp: (body = {}) => call("enrollTotp", "POST", "", body),
    enrollContact: (body) => call("enrollContact", "POST", "", body),
    activateFactor: (factorId, code) => call("activateFactor", "POST", factorId, { code }),
    webauthnRegistrationOptions: () => call("webauthnRegistrationOptions", "POST"),
    verifyWebauthnRegistration: (body) => call("webauthnRegistrationVerify", "POST", "", body),
    listFactors: () => call("listFactors", "GET"),
    removeFactor: (factorId) => call("removeFactor", "DELETE", factorId),
    renameFactor: (factorId, label) => call("renameFactor", "PATCH", factorId, { label }),
    startChallenge: (factorId) => call("challenge", "POST", "", { factorId }),
    regenerateBackupCodes: () => call("regenerateBackupCodes", "POST"),
    signOut: () => call<"signOut", void>("signOut", "POST").finally(engine.signOut),
  };
}
