import type { ChallengeAnswer, ChallengeHandler, PendingChallenge } from "@mfa-kit/client";

/**
 * Bridges the client's promise-based challenge handler and React: the handler parks the challenge
 * here, components read it through `subscribe_`/`getSnapshot_`, and `answer_` settles it.
 */
export interface ChallengePrompt {
  handler_: ChallengeHandler;
  subscribe_(listener: () => void): () => void;
  /** The challenge the client is waiting to have answered by the user, as it handed it over. */
  getSnapshot_(): PendingChallenge | null;
  /** Hands the user's answer to the client; `false` when nothing is waiting for one. */
  answer_(answer: ChallengeAnswer): boolean;
  /** Gives up on the waiting challenge (the client then rejects its calls with STEP_UP_CANCELLED). */
  dismiss_(): void;
}

interface Waiting {
  challenge_: PendingChallenge;
  resolve_(answer: ChallengeAnswer): void;
  reject_(reason: unknown): void;
}

const aborted = () => new DOMException("The prompt was closed.", "AbortError");

export function createChallengePrompt(): ChallengePrompt {
  const listeners = new Set<() => void>();
  let waiting: Waiting | null = null;

  const settle = (next: Waiting | null) => {
    waiting = next;
    for (const listener of listeners) listener();
  };
  // Takes the waiting challenge out, if there is one.
  const take = () => {
    const current = waiting;
    if (current) settle(null);
    return current;
  };

  return {
    handler_: (challenge, { signal }) =>
      new Promise<ChallengeAnswer>((resolve, reject) => {
        // A newer call replaces an older one the client no longer waits for.
        waiting?.reject_(aborted());
        const entry: Waiting = { challenge_: challenge, resolve_: resolve, reject_: reject };
        const onAbort = () => {
          if (waiting === entry) settle(null);
          reject(signal.reason);
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        settle(entry);
      }),
    subscribe_(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot_: () => waiting?.challenge_ ?? null,
    answer_(answer) {
      const current = take();
      current?.resolve_(answer);
      return !!current;
    },
    dismiss_: () => take()?.reject_(aborted()),
  };
}
