import type { MfaProblem, StepUpChallenge } from "@mfa-kit/protocol";
import type { EngineCore } from "./core";
import { MfaError } from "./mfaError";
import type { ChallengeHandler, PendingChallenge } from "./types";
import { abortable } from "./wait";

/** Where a pending challenge is: waiting for an answer, checking one, or locked for a while. */
type ChallengePhase = "challenge" | "verifying" | "locked";

/** A challenge waiting for an answer, and the requests waiting on it. */
export interface Pending {
  /** What the snapshot shows: frozen, replaced on each change. */
  view_: PendingChallenge;
  phase_: ChallengePhase;
  /** Aborts when the challenge is cancelled or no request waits on it any longer. */
  readonly signal: AbortSignal;
  /** Shows `patch` (and `phase_`), to the snapshot once {@link open_} was called. */
  show_(patch?: Partial<PendingChallenge>, phase?: ChallengePhase): void;
  /** Publishes the challenge (once its factors are known) and tells `stepup.required`. */
  open_(): void;
  /** Whether {@link open_} was called. */
  readonly ready_: boolean;
  /** Settles the wait to prompt of a tab coordinated with others: another tab's verification arrived. */
  answered_?: () => void;
}

/** How a challenge gets answered: resolves once the credential the API asked for is in place. */
export type Settle = (pending: Pending) => Promise<void>;

/** The error of a cancelled challenge. */
export const cancel = (cause?: unknown) =>
  new MfaError("STEP_UP_CANCELLED", "Verification cancelled.", { cause });

/** Why waiting requests end when the challenge's signal aborts: an MfaError as it is, else a cancel. */
export const cancelled = (reason: unknown) =>
  reason instanceof MfaError && reason.code !== "ABORTED" ? reason : cancel(reason);

interface State extends Pending {
  settle_: Settle;
  ac_: AbortController;
  waiting_: number;
  ready_: boolean;
  done_?: Promise<void>;
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

  const flight = core.coordinator_.flight("mfa-kit.challenge", (p: State) => p.settle_(p));

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
      settle_: settle,
      view_: view(challenge, problem),
      phase_: "challenge",
      signal: ac.signal,
      ac_: ac,
      waiting_: 0,
      ready_: false,
      show_(patch, phase = p.phase_) {
        p.phase_ = phase;
        p.view_ = Object.freeze({ ...p.view_, ...patch, waiting: p.waiting_ });
        if (p.ready_) core.publish_();
      },
      open_() {
        p.ready_ = true;
        p.show_();
        emit("stepup.required", { challenge: p.view_ });
      },
    };
    return p;
  };

  return {
    /** The challenge to show (once its factors are known), with its phase. */
    pending_: (): Pending | null => (pending?.ready_ ? pending : null),
    /** Whether a challenge is open, published or not. */
    active_: () => !!pending,

    /**
     * For the origin's other tabs: `answered` settles this tab's wait to prompt (another tab's
     * verification arrived), `cancelled` ends it (the prompt was cancelled there). Neither touches
     * a challenge this tab shows already.
     */
    fromTab_(event: "answered" | "cancelled"): void {
      if (!pending || pending.ready_) return;
      if (event === "answered") pending.answered_?.();
      else pending.ac_.abort(cancel());
    },

    /** A challenge for one request only (a one-shot call's), not shared nor published. */
    view_: view,

    /**
     * Waits on the pending challenge, opening one (settled by `settle`) if there is none; rejects
     * with `ABORTED` when `signal` aborts (the challenge goes on for the others).
     */
    join_(
      challenge: StepUpChallenge,
      problem: MfaProblem | null,
      settle: Settle,
      signal: AbortSignal | null | undefined,
    ): Promise<void> {
      pending ??= open(challenge, problem, settle);
      const p = pending;
      p.waiting_++;
      if (!p.done_) {
        // Closed after the flight has ended: a challenge opened from then on starts a new one.
        p.done_ = flight(p)
          .catch((error: MfaError) => {
            const cancelled = error.code === "STEP_UP_CANCELLED";
            emit(cancelled ? "stepup.cancelled" : "stepup.failed", { error });
            throw error;
          })
          .finally(() => {
            if (pending === p) pending = null;
            core.publish_();
          });
        p.done_.catch(() => {});
      }
      p.show_();
      return abortable(p.done_, signal).finally(() => {
        p.waiting_--;
        if (pending === p) {
          if (p.waiting_) p.show_();
          else p.ac_.abort(cancel());
        }
      });
    },

    /** The challenge handler, if set. */
    handler_: () => handler,

    /** Replaces the challenge handler; returns a function restoring the previous one. */
    setHandler_(next: ChallengeHandler | null): () => void {
      const previous = handler;
      handler = next;
      return () => {
        if (handler === next) handler = previous;
      };
    },

    /** Ends the pending challenge: every request waiting on it rejects with `reason`'s error. */
    cancel_(reason?: unknown): void {
      pending?.ac_.abort(cancelled(reason));
    },
  };
}
