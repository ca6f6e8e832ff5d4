import { normalizeBase32 } from "@mfa-kit/protocol";
import { createGuardrails, generate } from "otplib";
import type { ChallengeAnswer, ChallengeHandler, MfaClock } from "./index";

/** Options of {@link totpChallengeHandler}: exactly one of `secret` and `otpauthUri`. */
export interface TotpChallengeHandlerOptions {
  /** The base32 secret; spaces, hyphens, padding and lower case are fine. */
  secret?: string;
  /** An `otpauth://totp/...` URI (its `secret`, `algorithm`, `digits` and `period` are used). */
  otpauthUri?: string;
  /** The TOTP factor to answer with. */
  factorId: string;
  /** The client, for the server's time (`client.clock`). */
  client: { clock: MfaClock };
  /** Answers per challenge before giving up. Defaults to 3. */
  maxAttempts?: number;
  /** The longest lock to wait out before answering again; longer locks give up. Defaults to 60 000 ms. */
  maxLockWaitMs?: number;
}

type Algorithm = "sha1" | "sha256" | "sha512";

// 80-bit secrets are still common (older enrollments, some providers): the API decides what it accepts.
const MIN_SECRET_BYTES = 10;
const guardrails = createGuardrails({ MIN_SECRET_BYTES });

function parseOptions(options: TotpChallengeHandlerOptions) {
  const { secret, otpauthUri } = options;
  if ((secret === undefined) === (otpauthUri === undefined)) {
    throw new TypeError("totpChallengeHandler needs exactly one of `secret` and `otpauthUri`.");
  }
  if (secret !== undefined)
    return {
      secret: normalizeBase32(secret),
      algorithm: "sha1" as Algorithm,
      digits: 6,
      period: 30,
    };
  let uri: URL;
  try {
    uri = new URL(otpauthUri!);
  } catch {
    throw new TypeError("otpauthUri is not a URI.");
  }
  if (uri.protocol !== "otpauth:" || uri.hostname.toLowerCase() !== "totp") {
    throw new TypeError("otpauthUri must be an otpauth://totp/ URI.");
  }
  const q = uri.searchParams;
  const algorithm = (q.get("algorithm") ?? "SHA1").toLowerCase() as Algorithm;
  const digits = Number(q.get("digits") ?? 6);
  const period = Number(q.get("period") ?? 30);
  if (!["sha1", "sha256", "sha512"].includes(algorithm)) {
    throw new TypeError(`Unsupported TOTP algorithm: ${q.get("algorithm")}.`);
  }
  if (!Number.isInteger(digits) || digits < 6 || digits > 8)
    throw new TypeError(`Unsupported digits: ${digits}.`);
  if (!Number.isInteger(period) || period < 1 || period > 300)
    throw new TypeError(`Unsupported period: ${period}.`);
  return { secret: normalizeBase32(q.get("secret") ?? ""), algorithm, digits, period };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A challenge handler for service accounts: answers TOTP challenges with codes computed on the
 * server's time (`client.clock`, corrected for drift). It never sends a code twice: after a
 * rejected answer, or when a code of the current time step was already sent, it waits for the next
 * time step. It waits out a short lock (`maxLockWaitMs`) and gives up, by throwing, after
 * `maxAttempts` answers or a longer lock.
 *
 * @example
 * const mfa = createMfaClient({ baseUrl, getAccessToken });
 * mfa.setChallengeHandler(totpChallengeHandler({ secret: process.env.TOTP_SECRET!, factorId, client: mfa }));
 */
export function totpChallengeHandler(options: TotpChallengeHandlerOptions): ChallengeHandler {
  const { secret, algorithm, digits, period } = parseOptions(options);
  if (Math.floor((secret.length * 5) / 8) < MIN_SECRET_BYTES) {
    throw new TypeError(
      `The TOTP secret is too short: at least ${MIN_SECRET_BYTES} bytes (16 base32 characters).`,
    );
  }
  const { factorId, client, maxAttempts = 3, maxLockWaitMs = 60_000 } = options;
  const stepMs = period * 1000;
  let lastStep = Number.NEGATIVE_INFINITY;

  return async (challenge, { attempt, lastError, signal }): Promise<ChallengeAnswer> => {
    if (attempt > maxAttempts) throw lastError ?? new Error("TOTP: too many attempts.");
    if (lastError?.code === "LOCKED") {
      const lockMs =
        challenge.lockedUntil === undefined ? stepMs : challenge.lockedUntil - Date.now();
      if (lockMs > maxLockWaitMs) throw lastError;
      await wait(Math.max(0, lockMs), signal);
    }
    let now = client.clock.now();
    if (Math.floor(now / stepMs) <= lastStep) {
      // This step's code was sent already (used, or rejected): wait for a fresh one.
      await wait((lastStep + 1) * stepMs - now, signal);
      now = client.clock.now();
    }
    lastStep = Math.floor(now / stepMs);
    const code = await generate({
      secret,
      algorithm,
      digits,
      period,
      epoch: Math.floor(now / 1000),
      guardrails,
    });
    return { factorId, code };
  };
}
