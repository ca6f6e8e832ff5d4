import type { FactorSummary } from "@mfa-kit/protocol";

/**
 * What to call a factor: the authenticator app's label is the account name the app shows (the
 * username), so call it by what it is until the user renames it; never an internal id.
 */
export function factorName(factor: FactorSummary, username: string | undefined): string {
  if (factor.type === "totp" && (!factor.label || factor.label === username)) {
    return "Authenticator app";
  }
  return factor.label ?? factor.hint ?? "Factor";
}
