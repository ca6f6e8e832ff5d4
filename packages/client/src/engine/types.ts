import type {
  FactorSummary,
  HeadersLike,
  MfaProblem,
  StepUpChallenge,
  WebAuthnJSON,
} from "@mfa-kit/protocol";
import type { MfaError } from "./mfaError";

/** The MFA session as the snapshot shows it: everything but the token. */
export interface MfaSessionInfo {
  /** When the session expires, epoch ms on the server's clock. */
  expiresAt: number;
  /** Authentication context class reached (`mfa`, `phr`, ...). */
  acr: string;
  /** Authentication methods used (RFC 8176). */
  amr: string[];
  /** When a factor was last verified, epoch ms on the server's clock. */
  authTime: number;
}

/** A challenge waiting for an answer, shared by every request that needs it. */
export interface PendingChallenge {
  /** New for each challenge. */
  id: string;
  /** What the API asks for (RFC 9470 `acr_values`, `max_age`). */
  challenge: StepUpChallenge;
  /** The body of the 401 that asked, when there was one. */
  problem: MfaProblem | null;
  /** The factors the user can answer with. */
  factors: FactorSummary[];
  /** Whether the user has unused backup codes. */
  backupCodes: boolean;
  /** 1 for the first prompt, +1 per failed answer. */
  attempt: number;
  /** Requests waiting on it. */
  waiting: number;
  /** Why the previous answer failed (`INVALID_CODE`, `LOCKED`, ...). */
  lastError: MfaError | null;
  /** Answers left before a lock, when the API said. */
  attemptsLeft?: number;
  /** How long the lock lasts, in milliseconds. */
  retryAfterMs?: number;
  /** When the lock ends, epoch ms on the local clock. */
  lockedUntil?: number;
}

/** An answer to a challenge: a code for a factor, a WebAuthn assertion, or a backup code. */
export type ChallengeAnswer =
  | { factorId?: string; challengeId?: string; code: string }
  | { factorId?: string; challengeId?: string; webauthn: WebAuthnJSON }
  | { backupCode: string };

/** Asks the user (or a headless source) to answer a challenge. Reject to cancel the step-up. */
export type ChallengeHandler = (
  challenge: PendingChallenge,
  context: { attempt: number; lastError: MfaError | null; signal: AbortSignal },
) => Promise<ChallengeAnswer>;

/** What the client is doing, for a UI. */
export type MfaStatus = "idle" | "refreshing" | "challenge" | "verifying" | "locked";

/** The client's state: immutable, a new object on every change, the same one when nothing changed. */
export interface MfaSnapshot {
  status: MfaStatus;
  /** The MFA session, or `null`. The token itself is never in the snapshot. */
  session: MfaSessionInfo | null;
  /** The challenge waiting for an answer, or `null`. */
  pendingChallenge: PendingChallenge | null;
  /** Server time minus local time, in milliseconds (updated in steps of at least 500 ms). */
  clockOffsetMs: number;
  /** Until when the API asked to wait (429/503 with `Retry-After`), epoch ms on the local clock. */
  rateLimitedUntil: number | null;
}

/** One answer as the engine sees it, whatever the transport. */
export interface WireResponse {
  status: number;
  headers: HeadersLike;
  /** The parsed JSON body, when there was one. */
  body: unknown;
}
