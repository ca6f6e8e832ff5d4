import type { MfaClient, PendingChallenge } from "@mfa-kit/client";
import type { FactorSummary, StartChallengeResponse } from "@mfa-kit/protocol";
import { startAuthentication } from "@simplewebauthn/browser";
import { useCallback, useState, useSyncExternalStore } from "react";
import { useMfaContext } from "../mfaContext";
import { isCeremonyCancelled, useWebAuthnSupport } from "../webauthn";
import { useClientSnapshot } from "./useClientSnapshot";
import { useCountdown } from "./useCountdown";

/** Options of `stepUp()`: what the client's `mfa.stepUp()` accepts (`{ maxAge: 0 }` ...). */
export type StepUpOptions = Parameters<MfaClient["stepUp"]>[0];

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
  /** Why the last answer failed (an `MfaError` from the client: INVALID_CODE, LOCKED, ...), or why sending a code or the WebAuthn ceremony failed. */
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
  /** Asks for a fresh verification before a sensitive action, without a failed call first. */
  stepUp(options?: StepUpOptions): Promise<void>;
}

interface Local {
  challengeId: string | null;
  factorId: string | null;
  sent: SentCode | null;
  error: Error | null;
  busy: boolean;
}

const CODE_TYPES = ["totp", "hotp", "sms", "email"];
const fresh = (challengeId: string | null): Local => ({
  challengeId,
  factorId: null,
  sent: null,
  error: null,
  busy: false,
});

/**
 * The state and actions of the pending step-up challenge, for apps that build their own prompt
 * instead of `<StepUpModal />`. Works inside `<MfaProvider>`.
 */
export function useStepUp(): StepUpState {
  const { client, prompt } = useMfaContext("useStepUp()");
  const snapshot = useClientSnapshot(client);
  const request = useSyncExternalStore(prompt.subscribe, prompt.getSnapshot, prompt.getSnapshot);
  const supported = useWebAuthnSupport();
  const challenge = snapshot.pendingChallenge;
  const id = challenge?.id ?? null;
  const [stored, setLocal] = useState<Local>(() => fresh(id));
  // Selections and errors belong to one challenge: a new one starts clean.
  const local = stored.challengeId === id ? stored : fresh(id);
  const update = useCallback(
    (patch: Partial<Local>) =>
      setLocal((prev) => ({ ...(prev.challengeId === id ? prev : fresh(id)), ...patch })),
    [id],
  );

  const factors = (challenge?.factors ?? []).filter((f) => f.status !== "pending");
  const codeFactors = factors.filter((f) => CODE_TYPES.includes(f.type));
  const factor =
    codeFactors.find((f) => f.id === local.factorId) ??
    codeFactors.find((f) => f.type === "totp" || f.type === "hotp") ??
    codeFactors[0] ??
    null;
  const key = factors.find((f) => f.type === "webauthn");
  const sentCode = local.sent && local.sent.factorId === factor?.id ? local.sent : null;
  const retryAfterMs = useCountdown(challenge?.lockedUntil ?? null);
  const locked = retryAfterMs !== null && retryAfterMs > 0;
  const waiting = request !== null && request.challenge.id === id;
  const lastError = challenge?.lastError ?? null;

  const answer = (value: Parameters<typeof prompt.answer>[0]) => {
    if (!waiting || locked || local.busy) return false;
    update({ error: null });
    return prompt.answer(value);
  };

  const run = async (task: () => Promise<void>) => {
    update({ busy: true, error: null });
    try {
      await task();
      update({ busy: false });
    } catch (error) {
      update({ busy: false, error: isCeremonyCancelled(error) ? null : (error as Error) });
    }
  };

  return {
    challenge,
    factors,
    factor,
    selectFactor: (factorId) => update({ factorId, error: null }),
    sendCode: () =>
      run(async () => {
        if (!factor || (factor.type !== "sms" && factor.type !== "email")) return;
        const started: StartChallengeResponse = await client.api.startChallenge(factor.id);
        update({ sent: { factorId: factor.id, ...started } });
      }),
    sentCode,
    submitCode: (code) => {
      const clean = code.replace(/[\s-]/g, "");
      const challengeId = sentCode?.challengeId ?? challenge?.problem?.challengeId;
      return clean !== "" && answer({ factorId: factor?.id, challengeId, code: clean });
    },
    submitBackupCode: (code) => {
      const clean = code.trim();
      return clean !== "" && answer({ backupCode: clean });
    },
    useWebAuthn: () =>
      run(async () => {
        if (!key || !waiting || locked) return;
        const started = await client.api.startChallenge(key.id);
        if (!started.webauthnOptions) throw new Error("The server sent no WebAuthn options.");
        const response = await startAuthentication({
          optionsJSON: started.webauthnOptions as unknown as Parameters<
            typeof startAuthentication
          >[0]["optionsJSON"],
        });
        prompt.answer({
          factorId: key.id,
          challengeId: started.challengeId,
          webauthn: response as unknown as Record<string, unknown>,
        });
      }),
    webauthn: Boolean(key) && supported,
    backupCodes: challenge?.backupCodes ?? false,
    cancel: () => {
      client.cancelChallenge();
      prompt.dismiss();
    },
    error: local.error ?? lastError,
    attemptsLeft: challenge?.attemptsLeft ?? lastError?.attemptsLeft ?? null,
    retryAfterMs,
    locked,
    busy: challenge !== null && (!waiting || local.busy || snapshot.status === "verifying"),
    clockOffsetMs: snapshot.clockOffsetMs,
    stepUp: (options) => client.stepUp(options),
  };
}
