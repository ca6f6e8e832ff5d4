import type { MfaError } from "./mfaError";
import type { MfaSessionInfo, PendingChallenge } from "./types";

/** Why a request is retried. */
export type RetryReason = "network" | "timeout" | "status";

/** What the client tells `onEvent` about. */
export type MfaEvent =
  | {
      type: "request.retry";
      /** The retry number, 1 for the first retry. */
      attempt: number;
      delayMs: number;
      reason: RetryReason;
      /** The status that caused it, for `reason: "status"`. */
      status?: number;
      method: string;
      url: string;
    }
  | { type: "token.refreshed" }
  | { type: "session.refreshed"; session: MfaSessionInfo }
  | { type: "stepup.required"; challenge: PendingChallenge }
  | { type: "stepup.succeeded"; session: MfaSessionInfo }
  | { type: "stepup.failed"; error: MfaError }
  | { type: "stepup.cancelled"; error: MfaError }
  | { type: "clock.skew"; offsetMs: number }
  /** A response carried no readable `Date` (a cross-origin API that does not expose it) before any did: the clock stays uncorrected. Once per client. */
  | { type: "clock.unavailable" }
  /** The API asked for a stronger or fresher authentication: `reauthorize` runs (`@mfa-kit/client/oauth`). */
  | {
      type: "reauthorize.started";
      acrValues: string[];
      maxAge?: number;
      claims?: Record<string, unknown>;
    }
  | { type: "reauthorize.succeeded" }
  | { type: "reauthorize.failed"; error: MfaError }
  | { type: "ratelimit.wait"; untilMs: number };

/** A listener of {@link MfaEvent}s. */
export type MfaEventListener = (event: MfaEvent) => void;
