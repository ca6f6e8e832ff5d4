import type { ChallengeAnswer, ChallengeHandler, PendingChallenge } from "@mfa-kit/client";

/** A challenge the client is waiting to have answered by the user. */
interface PromptRequest {
  /** The pending challenge, as the client handed it to the handler. */
  challenge: PendingChallenge;
  /** 1 for the first prompt, +1 per failed answer. */
  attempt: number;
}

/**
 * Bridges the client's promise-based challenge handler and React: the handler parks a request
 * here, components read it through `subscribe`/`getSnapshot`, and `answer` settles it.
 */
export interface ChallengePrompt {
  handler: ChallengeHandler;
  subscribe(listener: () => void): () => void;
  getSnapshot(): PromptRequest | null;
  /** Hands the user's answer to the client; `false` when nothing is waiting for one. */
  answer(answer: ChallengeAnswer): boolean;
  /** Gives up on the waiting request (the client then rejects its calls with STEP_UP_CANCELLED). */
  dismiss(reason?: unknown): void;
}

interface Waiting {
  request: PromptRequest;
  resolve(answer: ChallengeAnswer): void;
  reject(reason: unknown): void;
}

const aborted = () => new DOMException("The prompt was closed.", "AbortError");

export function createChallengePrompt(): ChallengePrompt {
  const listeners = new Set<() => void>();
  let waiting: Waiting | null = null;

  const settle = (next: Waiting | null) => {
    waiting = next;
    for (const listener of listeners) listener();
  };

  return {
    handler: (challenge, { attempt, signal }) =>
      new Promise<ChallengeAnswer>((resolve, reject) => {
        // A newer call replaces an older one the client no longer waits for.
        waiting?.reject(aborted());
        const entry: Waiting = { request: { challenge, attempt }, resolve, reject };
        const onAbort = () => {
          if (waiting === entry) settle(null);
          reject(signal.reason);
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        settle(entry);
      }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => waiting?.request ?? null,
    answer(answer) {
      const current = waiting;
      if (!current) return false;
      settle(null);
      current.resolve(answer);
      return true;
    },
    dismiss(reason = aborted()) {
      const current = waiting;
      if (!current) return;
      settle(null);
      current.reject(reason);
    },
  };
}
