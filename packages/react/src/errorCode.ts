import { problemName } from "@mfa-kit/protocol";

/**
 * What went wrong, in one word for choosing a message: the `MfaError` code (`INVALID_CODE`,
 * `LOCKED`, `NETWORK` ...), or the problem type (`code_expired`, `code_reused` ...) of a
 * rejection the client reports more generally.
 */
export function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; problem?: unknown } | null;
  const name = problemName(e?.problem);
  return name === "invalid_code"
    ? "INVALID_CODE"
    : name === "locked"
      ? "LOCKED"
      : (name ?? (e?.code as string | undefined));
}
