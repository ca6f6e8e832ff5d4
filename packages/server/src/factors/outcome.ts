import type { AttemptFailure } from "../stores/types";

/** Why a check failed; each is a counted failure. */
export type CheckFailure = AttemptFailure;

/** Picks the most telling failure among several candidates: reused > expired > resync > invalid. */
export function worstFailure(reasons: CheckFailure[]): CheckFailure {
  for (const r of ["code_reused", "code_expired", "resync_required"] as const) {
    if (reasons.includes(r)) return r;
  }
  return "invalid_code";
}
