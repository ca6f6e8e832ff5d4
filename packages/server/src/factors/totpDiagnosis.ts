import type { VerifyHint } from "@mfa-kit/protocol";
import { serverClockOff } from "../clock/clockCheck";
import type { KitContext } from "../context";
import type { HashAlgorithm } from "../crypto/types";
import type { FactorRecord } from "../stores/types";
import { codesEqual, hashName, hotp, normalizeCode } from "./hotp";
import { factorSecret } from "./secret";
import { MAX_DRIFT } from "./totp";

/** Why a wrong TOTP code was probably typed, as a verification failure carries it. */
type TotpHint =
  /** The code is the one of a past step: the authenticator's clock is `behindS` seconds late. */
  | { hint: Extract<VerifyHint, "authenticator_clock_behind">; behindS: number }
  /** The code is right under another algorithm or digit count than the factor's. */
  | { hint: Extract<VerifyHint, "algorithm_mismatch"> };

const ALGORITHMS: HashAlgorithm[] = ["sha1", "sha256", "sha512"];

/**
 * Why a TOTP code the check refused might have been typed, for the user's sake: a code of the
 * factor's own settings equal to that of a past step (up to `totp.diagnoseSteps` back, later than
 * the last accepted step: never a replay) means the authenticator's clock is behind; a code that
 * matches the secret in the window under another algorithm (SHA-1, SHA-256, SHA-512) or another
 * digit count (6 or 8, from the code's length) means the app was set up with other settings.
 * Future steps are never looked at: such a code could be replayed later. Nothing is accepted or
 * counted here; the caller runs it once, after the store counted the failure, and it costs at most
 * `diagnoseSteps + 3 × (2 × window + 1)` HMACs (the past steps, each algorithm across the window;
 * for an activation, the wider `activationWindow`, and no past step within it). `undefined` when nothing explains the code.
 */
export function diagnoseTotp(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
  rawCode: unknown,
  now: number,
): TotpHint | undefined | Promise<TotpHint | undefined> {
  const digits = Number(record.digits) || 6;
  const own = normalizeCode(rawCode, digits);
  const code = own ?? normalizeCode(rawCode, digits === 6 ? 8 : 6);
  if (code === null) return undefined;
  const explain = (key: Uint8Array | null): TotpHint | undefined => {
    if (!key) return undefined;
    const { diagnoseSteps, activationWindow } = ctx.options.totp;
    // The window the check used: a pending factor's first code gets the activation window.
    const window = record.status === "pending" ? activationWindow : ctx.options.totp.window;
    const period = Number(record.period) || 30;
    const algorithm = hashName(record.algorithm ?? "SHA1");
    const current = Math.floor(now / 1000 / period);
    const center = current + Math.max(-MAX_DRIFT, Math.min(MAX_DRIFT, Number(record.drift) || 0));
    const at = (a: HashAlgorithm, step: number) =>
      step >= 0 && codesEqual(hotp(ctx.crypto, a, key, step, code.length), code);
    for (const other of ALGORITHMS) {
      if (other === algorithm && own !== null) continue;
      for (let step = center - window; step <= center + window; step++) {
        if (at(other, step)) return { hint: "algorithm_mismatch" };
      }
    }
    // A server clock known to be off (see `clockCheck`) would blame the authenticator wrongly.
    if (own === null || serverClockOff(ctx)) return undefined;
    const last = Number(record.lastStep ?? -1);
    const from = Math.min(center - window - 1, current - 1);
    for (let step = from; step >= current - diagnoseSteps && step > last; step--) {
      if (at(algorithm, step)) {
        return { hint: "authenticator_clock_behind", behindS: (current - step) * period };
      }
    }
    return undefined;
  };
  const key = factorSecret(ctx, userId, factorId, record);
  return key instanceof Promise ? key.then(explain) : explain(key);
}
