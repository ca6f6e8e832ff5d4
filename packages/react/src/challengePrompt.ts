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
 * here, components read it through `subscribe_`/`getSnapshot_`, and `answer_` settles it.
 */
export interface ChallengePrompt {
  handler_: ChallengeHandler;
  subscribe_(listener: () => void): () => void;
  getSnapshot_(): PromptRequest | null;
  /** Hands the user's answer to the client; `false` when nothing is waiting for one. */
  answer_(answer: ChallengeAnswer): boolean;
  /** Gives up on the waiting request (the client then rejects its calls with STEP_UP_CANCELLED). */
  dismiss_(reason?: unknown): void;
}

interface Waiting {
  request_: PromptRequest;
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

  return {
    handler_: (challenge, { attempt, signal }) =>
      new Promise<ChallengeAnswer>((resolve, reject) => {
        // A newer call replaces an older one the client no longer waits for.
        waiting?.reject_(aborted());
        const entry: Waiting = {
          request_: { challenge, attempt },
          resolve_: resolve,
          reject_: reject,
        };
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
    getSnapshot_: () => waiting?.request_ ?? null,
    answer_(answer) {
      const current = waiting;
      if (!current) return false;
      settle(null);
      current.resolve_(answer);
      return true;
    },
    dismiss_(reason = aborted()) {
      const current = waiting;
      if (!current) return;
      settle(null);
      current.reject_(reason);
    },
  };
}
