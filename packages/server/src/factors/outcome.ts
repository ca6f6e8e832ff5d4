import type { MethodType } from "../events/types";

/** Why a check failed; each is a counted failure. */
export type CheckFailure = "invalid_code" | "code_expired" | "code_reused" | "resync_required";

/** The result of checking one credential against one factor (or the backup codes). */
export type CheckOutcome =
  | {
      ok: true;
      /** The factor that matched; absent for a backup code. */
      factorId?: string;
      method: MethodType;
      /** Authentication context class reached: `phr` for WebAuthn, `mfa` otherwise. */
      acr: string;
      /** RFC 8176 method references. */
      amr: string[];
      /** Backup codes left, when a backup code was used. */
      backupCodesRemaining?: number;
    }
  | { ok: false; reason: CheckFailure };

/** Picks the most telling failure among several candidates: reused > expired > resync > invalid. */
export function worstFailure(reasons: CheckFailure[]): CheckFailure {
  for (const r of ["code_reused", "code_expired", "resync_required"] as const) {
    if (reasons.includes(r)) return r;
  }
  return "invalid_code";
}
