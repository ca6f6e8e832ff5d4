import type {
  ActivateFactorResponse,
  EnrollContactRequest,
  EnrollContactResponse,
  EnrollTotpRequest,
  EnrollTotpResponse,
  FactorSummary,
} from "@mfa-kit/protocol";
import { useRef, useState } from "react";
import { invalidate } from "../cache/queryCache";
import { useMfaContext } from "../mfaContext";

/** Where an enrollment stands. */
export type EnrollmentStep = "idle" | "starting" | "confirm" | "activating" | "done";

/** What {@link useEnrollment} returns. */
export interface EnrollmentState {
  /** `idle` → `starting` → `confirm` (show the QR / wait for the code) → `activating` → `done`. */
  step: EnrollmentStep;
  /** The TOTP secret and otpauth URI, once a TOTP enrollment started. */
  totp: EnrollTotpResponse | null;
  /** The SMS / e-mail enrollment, once started (a first code was sent). */
  contact: (EnrollContactResponse & EnrollContactRequest) | null;
  /** The factor being enrolled, or the activated one when `done`. */
  factorId: string | null;
  /** The activated factor, when `done`. */
  factor: FactorSummary | null;
  /** Backup codes that came with the activation (the user's first factor): show them once. */
  backupCodes: string[] | null;
  /** Why the last step failed (an `MfaError`: INVALID_CODE with `attemptsLeft`, HTTP, NETWORK ...). */
  error: Error | null;
  /** Starts TOTP enrollment: the server creates a secret; show `totp.otpauthUri` as a QR code. */
  startTotp(body?: EnrollTotpRequest): Promise<void>;
  /** Starts SMS / e-mail enrollment: the server sends a first code to `to`. Call again to resend. */
  startContact(body: EnrollContactRequest): Promise<void>;
  /** Activates the factor with the first code; resolves the activation (with any backup codes), or `null` when it failed (see `error`). Factor lists refresh at once, or, when backup codes came, once `<BackupCodes>` is closed (or you call `useFactors().refresh()`). */
  confirm(code: string): Promise<ActivateFactorResponse | null>;
  /** Back to `idle`, forgetting the secret. */
  reset(): void;
}

interface State {
  step_: EnrollmentStep;
  totp_: EnrollTotpResponse | null;
  contact_: EnrollmentState["contact"];
  activated_: ActivateFactorResponse | null;
  error_: Error | null;
}

const idle: State = { step_: "idle", totp_: null, contact_: null, activated_: null, error_: null };

/**
 * Enrolls a new factor: TOTP (secret + otpauth URI to show as a QR code), or SMS / e-mail (a code
 * sent to the number or address), then activation with the first code. Works inside `<MfaProvider>`.
 */
export function useEnrollment(): EnrollmentState {
  const { client } = useMfaContext("useEnrollment()");
  const [state, setState] = useState<State>(idle);
  // Each start or reset begins a new run; answers of an older run are dropped.
  const run = useRef(0);

  const step = async <T>(
    from: Partial<State>,
    call: () => Promise<T>,
    to: (result: T) => Partial<State>,
  ) => {
    const mine = ++run.current;
    setState((prev) => ({ ...prev, ...from, error_: null }));
    try {
      const result = await call();
      if (mine === run.current) setState((prev) => ({ ...prev, ...to(result) }));
      return result;
    } catch (error) {
      if (mine === run.current) {
        setState((prev) => ({
          ...prev,
          step_: prev.step_ === "activating" ? "confirm" : "idle",
          error_: error as Error,
        }));
      }
      return null;
    }
  };

  const factorId = state.totp_?.factorId ?? state.contact_?.factorId ?? null;
  return {
    step: state.step_,
    totp: state.totp_,
    contact: state.contact_,
    factorId: state.activated_?.factor.id ?? factorId,
    factor: state.activated_?.factor ?? null,
    backupCodes: state.activated_?.backupCodes ?? null,
    error: state.error_,
    startTotp: async (body) => {
      await step(
        { ...idle, step_: "starting" },
        () => client.api.enrollTotp(body),
        (totp) => ({ step_: "confirm", totp_: totp }),
      );
    },
    startContact: async (body) => {
      await step(
        { ...idle, step_: "starting" },
        () => client.api.enrollContact(body),
        (sent) => ({ step_: "confirm", contact_: { ...body, ...sent } }),
      );
    },
    confirm: async (code) => {
      const clean = code.replace(/[\s-]/g, "");
      if (!factorId || state.step_ !== "confirm" || !clean) return null;
      return step(
        { step_: "activating" },
        async () => {
          const activated = await client.api.activateFactor(factorId, clean);
          // The new factor appears in every factor list (here, not in a state update, which an
          // unmounted component never runs); with backup codes only once they were shown and
          // acknowledged (`<BackupCodes>` does it), so that a screen that changes with the list
          // cannot take them away before the user saved them.
          if (!activated.backupCodes?.length) void invalidate(client);
          return activated;
        },
        (activated) => ({ step_: "done", activated_: activated }),
      );
    },
    reset: () => {
      run.current++;
      setState(idle);
    },
  };
}
