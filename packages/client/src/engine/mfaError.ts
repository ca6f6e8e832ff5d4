import {
  type ClockSide,
  type MfaProblem,
  type MfaProblemName,
  problemName as nameOf,
  type StepUpChallenge,
  type VerifyHint,
} from "@mfa-kit/protocol";
import type { MfaErrorCode } from "./errorCodes";

const BRAND = Symbol.for("@mfa-kit/client.MfaError");

/** What an {@link MfaError} may carry besides its code and message. */
export interface MfaErrorDetails {
  /** The HTTP status of the answer that caused it. */
  status?: number;
  /** The RFC 9457 problem details of that answer. */
  problem?: MfaProblem | null;
  /** How long to wait before trying again, in milliseconds. */
  retryAfterMs?: number;
  /** Answers left before a lock, on `INVALID_CODE`. */
  attemptsLeft?: number;
  /** Why the code was probably wrong, on `INVALID_CODE` (the problem's `hint`). */
  hint?: VerifyHint;
  /** With `hint: "authenticator_clock_behind"`: how many seconds the authenticator's clock is behind. */
  behindS?: number;
  /** Which clock is off when the server's and this device's differ (the problem's `clockSide`). */
  clockSide?: ClockSide;
  /** Attempts made, on `RETRY_EXHAUSTED`. */
  attempts?: number;
  /** The last response (an axios response or a fetch `Response`), on `RETRY_EXHAUSTED`. */
  response?: unknown;
  /** The step-up challenge, on `STEP_UP_REQUIRED`. */
  challenge?: StepUpChallenge;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The one error class of `@mfa-kit/client`. `instanceof MfaError` holds across the ESM and CJS
 * builds (and duplicated installs): it checks a brand, not the prototype chain.
 */
export class MfaError extends Error implements MfaErrorDetails {
  /** Why it was thrown. */
  readonly code: MfaErrorCode;
  declare status?: number;
  declare problem?: MfaProblem | null;
  declare retryAfterMs?: number;
  declare attemptsLeft?: number;
  declare hint?: VerifyHint;
  declare behindS?: number;
  declare clockSide?: ClockSide;
  declare attempts?: number;
  declare response?: unknown;
  declare challenge?: StepUpChallenge;
  declare readonly [BRAND]: true;

  constructor(code: MfaErrorCode, message: string, details?: MfaErrorDetails) {
    super(message);
    this.name = "MfaError";
    this.code = code;
    Object.assign(this, details, { [BRAND]: true });
  }

  /**
   * The short name of the `problem`'s type when it is one of the kit's problems (`"invalid_code"`,
   * `"code_expired"`, `"locked"` ...), to tell rejections apart that share a `code`.
   */
  get problemName(): MfaProblemName | undefined {
    return nameOf(this.problem);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (value as MfaError | null)?.[BRAND] === true;
  }
}

/** The error for an attempt that got no response: `ABORTED`, `TIMEOUT` or `NETWORK`. */
export const noResponse = (kind: string | undefined, cause: unknown): MfaError =>
  new MfaError(
    kind === "abort" ? "ABORTED" : kind === "timeout" ? "TIMEOUT" : "NETWORK",
    `No response (${kind ?? "network"}).`,
    { cause },
  );
