import { ApiError } from "../app/bankApi";

/** A sentence for an error of the MFA client or the protected API. */
export function errorText(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "STEP_UP_CANCELLED":
      return "Verification cancelled: nothing was done.";
    case "RETRY_EXHAUSTED":
      return (error as { status?: number }).status === 429
        ? "The server kept limiting requests (429 Too Many Requests) through every retry. Wait a moment and try again."
        : "The server stayed unavailable through every retry. Try again later.";
    case "LOCKED":
      return "Too many wrong codes: verification is locked for a while.";
    case "NETWORK":
      return "The server could not be reached. Try again.";
    case "TIMEOUT":
      return "The server took too long to answer. Try again.";
    case "REFRESH_FAILED":
      return "Your sign-in has expired. Sign in again.";
  }
  if (error instanceof ApiError) {
    const errors = error.problem?.errors;
    if (errors && typeof errors === "object") return Object.values(errors).join(" ");
    return error.message;
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}
