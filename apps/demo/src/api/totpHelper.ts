import { generateSync } from "otplib";

/** The parameters of one enrolled TOTP factor, as its `otpauth://` URI states them. */
interface TotpParams {
  secret: string;
  algorithm: "sha1" | "sha256" | "sha512";
  digits: 6 | 7 | 8;
  period: number;
}

/** The current code of one factor, for the demo's "show current code" helper. */
export interface CurrentCode {
  factorId: string;
  code: string;
  /** Seconds until the code changes. */
  validForSeconds: number;
}

/**
 * Stands in for an authenticator app: remembers the secrets the enrollment route handed out and
 * computes the current code on the server's clock. Only the demo has this; a real API never keeps
 * a readable copy of a secret.
 */
export interface TotpHelper {
  /** Remembers a factor from its `otpauth://` URI. */
  remember(userId: string, factorId: string, otpauthUri: string): void;
  forget(userId: string, factorId: string): void;
  /** The current codes of the user's remembered factors (only those in `factorIds` when given). */
  codes(userId: string, factorIds?: readonly string[]): CurrentCode[];
}

function parse(uri: string): TotpParams | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== "otpauth:") return null;
  const q = url.searchParams;
  const secret = q.get("secret");
  const algorithm = (q.get("algorithm") ?? "SHA1").toLowerCase();
  const digits = Number(q.get("digits") ?? "6");
  const period = Number(q.get("period") ?? "30");
  if (!secret || !["sha1", "sha256", "sha512"].includes(algorithm)) return null;
  if (![6, 7, 8].includes(digits) || !Number.isInteger(period) || period < 1) return null;
  return {
    secret,
    algorithm: algorithm as TotpParams["algorithm"],
    digits: digits as TotpParams["digits"],
    period,
  };
}

/** A helper computing codes at `now()` (the server's clock). */
export function createTotpHelper(now: () => number): TotpHelper {
  const byUser = new Map<string, Map<string, TotpParams>>();
  return {
    remember(userId, factorId, otpauthUri) {
      const params = parse(otpauthUri);
      if (!params) return;
      const factors = byUser.get(userId) ?? new Map<string, TotpParams>();
      factors.set(factorId, params);
      byUser.set(userId, factors);
    },
    forget(userId, factorId) {
      byUser.get(userId)?.delete(factorId);
    },
    codes(userId, factorIds) {
      const factors = byUser.get(userId);
      if (!factors) return [];
      const t = now() / 1000;
      const out: CurrentCode[] = [];
      for (const factorId of factorIds ?? [...factors.keys()]) {
        const p = factors.get(factorId);
        if (!p) continue;
        const code = generateSync({ ...p, epoch: Math.floor(t) });
        out.push({ factorId, code, validForSeconds: Math.ceil(p.period - (t % p.period)) });
      }
      return out;
    },
  };
}
