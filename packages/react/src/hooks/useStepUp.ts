import type {
  ChallengeAnswer,
  MfaErrorCode,
  MfaSessionInfo,
  PendingChallenge,
  StepUpOptions,
} from "@mfa-kit/client";
import type { FactorSummary, WebAuthnJSON } from "@mfa-kit/protocol";
import { CODE_FACTOR_TYPES } from "@mfa-kit/protocol/vocabulary";
import { startAuthentication } from "@simplewebauthn/browser";
import { useState, useSyncExternalStore } from "react";
import { useMfaContext } from "../mfaContext";
import { isCeremonyCancelled, useWebAuthnSupport } from "../webauthn";
import { useClientSnapshot } from "./useClientSnapshot";
import { useCountdown } from "./useCountdown";

/** A code sent by SMS or e-mail for the current challenge. */
export interface SentCode {
  factorId: string;
  challengeId: string;
  /** Epoch milliseconds on the server's clock. */
  expiresAt: number;
}

/** What {@link useStepUp} returns: the pending challenge and the ways to answer it. */
export interface StepUpState {
  /** The challenge the client is waiting on, or `null` when nothing needs step-up. */
  challenge: PendingChallenge | null;
  /** The user's active factors that can answer it. */
  factors: FactorSummary[];
  /** The factor a code is for: the selected one, else an authenticator app, else SMS / e-mail. */
  factor: FactorSummary | null;
  /** Chooses the factor a code is for (see `factors`). */
  selectFactor(factorId: string): void;
  /** Sends a code to the selected SMS / e-mail factor (again, when called twice). */
  sendCode(): Promise<void>;
  /** The code sent for the selected factor, if any. */
  sentCode: SentCode | null;
  /** Answers with a one-time code (spaces and hyphens are ignored); `false` if nothing waits for one. */
  submitCode(code: string): boolean;
  /** Answers with a backup code; `false` if nothing waits for one. */
  submitBackupCode(code: string): boolean;
  /** Runs the WebAuthn ceremony with the user's security key; a dismissed ceremony is not an error. */
  useWebAuthn(): Promise<void>;
  /** The user has a security key and this browser supports WebAuthn. */
  webauthn: boolean;
  /** The user has unused backup codes. */
  backupCodes: boolean;
  /** Gives up: every call waiting on the challenge rejects with STEP_UP_CANCELLED. */
  cancel(): void;
  /** Why the last answer failed (an `MfaError` from the client: INVALID_CODE, LOCKED, ...), why sending a code failed, or why the security key could not be used (`code: "WEBAUTHN_FAILED"`, the browser's error as `cause`). */
  error: Error | null;
  /** Tries left before a lock, when the server said. */
  attemptsLeft: number | null;
  /** Milliseconds until the lock lifts, updated every second; `null` when not locked. */
  retryAfterMs: number | null;
  /** Locked out until `retryAfterMs` reaches 0. */
  locked: boolean;
  /** An answer is being checked, a code sent or a ceremony run: inputs should wait. */
  busy: boolean;
  /** Server time minus local time, in milliseconds (negative: this device's clock is fast). */
  clockOffsetMs: number;
  /** Asks for a verification before a sensitive action (`{ maxAge: 0 }`: a fresh one), without a failed call first; resolves with the session. */
  stepUp(options?: StepUpOptions): Promise<MfaSessionInfo>;
}

interface Local {
  id_: string | null;
  factorId_?: string;
  sent_?: SentCode;
  error_?: Error | null;
  busy_?: boolean;
}

/**
 * The state and actions of the pending step-up challenge, for apps that build their own prompt
 * instead of `<StepUpModal />`. Works inside `<MfaProvider>`.
 */
export function useStepUp(): StepUpState {
  const { client, prompt } = useMfaContext("useStepUp()");
  const snapshot = useClientSnapshot(client);
  const asked = useSyncExternalStore(prompt.subscribe_, prompt.getSnapshot_, prompt.getSnapshot_);
  const supported = useWebAuthnSupport();
  const challenge = snapshot.pendingChallenge;
  const id = challenge?.id ?? null;
  const [stored, setLocal] = useState<Local>({ id_: id });
  // Selections and errors belong to one challenge: a new one starts clean.
  const local = stored.id_ === id ? stored : { id_: id };
  const update = (patch: Omit<Local, "id_">) =>
    setLocal((prev) => ({ ...(prev.id_ === id ? prev : null), ...patch, id_: id }));

  const factors = (challenge?.factors ?? []).filter((f) => f.status !== "pending");
  const codeFactors = factors.filter((f) =>
    (CODE_FACTOR_TYPES as readonly string[]).includes(f.type),
  );
  const factor =
    codeFactors.find((f) => f.id === local.factorId_) ??
    codeFactors.find((f) => f.type === "totp" || f.type === "hotp") ??
    codeFactors[0] ??
    null;
  const key = factors.find((f) => f.type === "webauthn");
  const sentCode = local.sent_?.factorId === factor?.id ? (local.sent_ ?? null) : null;
  const retryAfterMs = useCountdown(challenge?.lockedUntil);
  const locked = !!retryAfterMs;
  // Challenge ids are strings: with no challenge (`id` null) nothing is waiting.
  const waiting = asked?.id === id;
  const lastError = challenge?.lastError ?? null;

  // Hands an answer to the client, if it still waits for one for this challenge.
  const answer = (value: ChallengeAnswer) =>
    !locked && !local.busy_ && prompt.getSnapshot_()?.id === id && prompt.answer_(value);

  const run = async (task: () => Promise<void>) => {
    update({ busy_: true, error_: null });
    try {
      await task();
      update({ busy_: false });
    } catch (error) {
      update({ busy_: false, error_: isCeremonyCancelled(error) ? null : (error as Error) });
    }
  };

  return {
    challenge,
    factors,
    factor,
    selectFactor: (factorId) => update({ factorId_: factorId, error_: null }),
    sendCode: () =>
      run(async () => {
        if (factor?.type !== "sms" && factor?.type !== "email") return;
        const started = await client.api.startChallenge(factor.id);
        update({ sent_: { factorId: factor.id, ...started } });
      }),
    sentCode,
    submitCode: (code) => {
      const clean = code.replace(/[\s-]/g, "");
      const challengeId = sentCode?.challengeId ?? challenge?.problem?.challengeId;
      return !!clean && answer({ factorId: factor?.id, challengeId, code: clean });
    },
    submitBackupCode: (code) => !!code.trim() && answer({ backupCode: code.trim() }),
    useWebAuthn: () =>
      run(async () => {
        if (!key || !waiting || locked) return;
        const { challengeId, webauthnOptions } = await client.api.startChallenge(key.id);
        const webauthn = await startAuthentication({
          optionsJSON: webauthnOptions as unknown as Parameters<
            typeof startAuthentication
          >[0]["optionsJSON"],
        }).catch((cause) => {
          // A dismissed prompt stays a non-error; anything else gets one code to show a message for.
          throw isCeremonyCancelled(cause)
            ? cause
            : Object.assign(new Error("The security key could not be used.", { cause }), {
                // One of the client's codes, so that messages and `errorCode()` know it.
                code: "WEBAUTHN_FAILED" satisfies MfaErrorCode,
              });
        });
        answer({ factorId: key.id, challengeId, webauthn: webauthn as unknown as WebAuthnJSON });
      }),
    webauthn: !!key && supported,
    backupCodes: !!challenge?.backupCodes,
    cancel: () => {
      client.cancelChallenge();
      prompt.dismiss_();
    },
    error: local.error_ ?? lastError,
    attemptsLeft: challenge?.attemptsLeft ?? lastError?.attemptsLeft ?? null,
    retryAfterMs,
    locked,
    busy: !!challenge && (!waiting || !!local.busy_ || snapshot.status === "verifying"),
    clockOffsetMs: snapshot.clockOffsetMs,
    stepUp: (options) => client.stepUp(options),
  };
}
