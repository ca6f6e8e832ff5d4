import type { MfaProblem, StepUpChallenge } from "@mfa-kit/protocol";
import type { EngineCore } from "./core";
import { MfaError } from "./mfaError";
import type { ChallengeAnswer, ChallengeHandler, PendingChallenge } from "./types";
import { abortable } from "./wait";

/** Where a pending challenge is: waiting for an answer, checking one, or locked for a while. */
type ChallengePhase = "challenge" | "verifying" | "locked";

/** A challenge waiting for an answer, and the requests waiting on it. */
export interface Pending {
  /** What the snapshot shows: frozen, replaced on each change. */
  view: PendingChallenge;
  phase: ChallengePhase;
  /** Aborts when the challenge is cancelled or no request waits on it any longer. */
  readonly signal: AbortSignal;
  /** Shows `patch` (and `phase`), to the snapshot once {@link open} was called. */
  show(patch?: Partial<PendingChallenge>, phase?: ChallengePhase): void;
  /** Publishes the challenge (once its factors are known) and tells `stepup.required`. */
  open(): void;
}

/** How a challenge gets answered: resolves once the credential the API asked for is in place. */
export type Settle = (pending: Pending) => Promise<void>;

const cancel = (cause?: unknown) =>
  new MfaError("STEP_UP_CANCELLED", "Verification cancelled.", { cause });

/** Why waiting requests end when the challenge's signal aborts: an MfaError as it is, else a cancel. */
export const cancelled = (reason: unknown) =>
  reason instanceof MfaError && reason.code !== "ABORTED" ? reason : cancel(reason);

/** The error when the API asks for MFA and nobody can answer. */
export const required = (challenge: StepUpChallenge, problem: MfaProblem | null) =>
  new MfaError("STEP_UP_REQUIRED", "MFA required and no challenge handler set.", {
    status: 401,
    problem,
    challenge,
  });

interface State extends Pending {
  settle: Settle;
  ac: AbortController;
  waiting: number;
  ready: boolean;
  done?: Promise<void>;
}

/** The pending challenge's state machine (see {@link createChallengeCoordinator}). */
export type ChallengeCoordinator = ReturnType<typeof createChallengeCoordinator>;

/**
 * At most one challenge at a time, shared by every request that needs one: the first opens it,
 * the others wait on the same one, and each waiting request may leave (its signal) without
 * cancelling it for the others; when the last one leaves, it is cancelled. The challenge is settled
 * by a {@link Settle} (the kit's verify loop; a re-authorization would be another) run through the
 * coordinator, so that a cross-tab coordinator can make it one prompt for every tab.
 *
 * States: none → `challenge` (published once ready) ⇄ `verifying` / `locked` → none, when settled
 * (the waiting requests replay), failed or cancelled (they reject with its error).
 */
export function createChallengeCoordinator(
  core: EngineCore,
  initialHandler: ChallengeHandler | null,
) {
  let handler = initialHandler;
  let pending: State | null = null;
  let seq = 0;
  const { emit } = core;

  const flight = core.coordinator.flight("mfa-kit.challenge", (p: State) => p.settle(p));

  const view = (challenge: StepUpChallenge, problem: MfaProblem | null): PendingChallenge => ({
    id: `c${++seq}`,
    challenge,
    problem,
    factors: problem?.factors ?? [],
    backupCodes: problem?.backupCodes === true,
    attempt: 1,
    waiting: 0,
    lastError: null,
  });

  const open = (challenge: StepUpChallenge, problem: MfaProblem | null, settle: Settle) => {
    const ac = new AbortController();
    const p: State = {
      settle,
      view: view(challenge, problem),
      phase: "challenge",
      signal: ac.signal,
      ac,
      waiting: 0,
      ready: false,
      show(patch, phase = p.phase) {
        p.phase = phase;
        p.view = Object.freeze({ ...p.view, ...patch, waiting: p.waiting });
        if (p.ready) core.publish();
      },
      open() {
        p.ready = true;
        p.show();
        emit("stepup.required", { challenge: p.view });
      },
    };
    return p;
  };

  return {
    /** The challenge to show (once its factors are known), with its phase. */
    pending: (): Pending | null => (pending?.ready ? pending : null),
    /** Whether a challenge is open, published or not. */
    active: () => !!pending,

    /** A challenge for one request only (a one-shot call's), not shared nor published. */
    view,

    /**
     * Waits on the pending challenge, opening one (settled by `settle`) if there is none; rejects
     * with `ABORTED` when `signal` aborts (the challenge goes on for the others).
     */
    join(
      challenge: StepUpChallenge,
      problem: MfaProblem | null,
      settle: Settle,
      signal: AbortSignal | null | undefined,
    ): Promise<void> {
      pending ??= open(challenge, problem, settle);
      const p = pending;
      p.waiting++;
      if (!p.done) {
        // Closed after the flight has ended: a challenge opened from then on starts a new one.
        p.done = flight(p)
          .catch((error: MfaError) => {
            const cancelled = error.code === "STEP_UP_CANCELLED";
            emit(cancelled ? "stepup.cancelled" : "stepup.failed", { error });
            throw error;
          })
          .finally(() => {
            if (pending === p) pending = null;
            core.publish();
          });
        p.done.catch(() => {});
      }
      p.show();
      return abortable(p.done, signal).finally(() => {
        p.waiting--;
        if (pending === p) {
          if (p.waiting) p.show();
          else p.ac.abort(cancel());
        }
      });
    },

    /** Asks the challenge handler; its rejection or an abort of `signal` is `STEP_UP_CANCELLED`. */
    async ask(challenge: PendingChallenge, signal: AbortSignal): Promise<ChallengeAnswer> {
      if (!handler) throw required(challenge.challenge, challenge.problem);
      try {
        return await abortable(
          handler(challenge, {
            attempt: challenge.attempt,
            lastError: challenge.lastError,
            signal,
          }),
          signal,
        );
      } catch (e) {
        // The handler's own rejection is a cancellation, whatever it threw (kept as the cause).
        throw signal.aborted ? cancelled(signal.reason) : cancel(e);
      }
    },

    /** Whether a challenge handler is set. */
    answerable: () => !!handler,

    /** Replaces the challenge handler; returns a function restoring the previous one. */
    setHandler(next: ChallengeHandler | null): () => void {
      const previous = handler;
      handler = next;
      return () => {
        if (handler === next) handler = previous;
      };
    },

    /** Ends the pending challenge: every request waiting on it rejects with `reason`'s error. */
    cancel(reason?: unknown): void {
      pending?.ac.abort(cancelled(reason));
    },
  };
}
