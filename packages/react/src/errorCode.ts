/**
 * What went wrong, in one word for choosing a message: the `MfaError` code (`INVALID_CODE`,
 * `LOCKED`, `NETWORK`, `SERVICE_UNAVAILABLE`, `DELIVERY_FAILED` ...), or the name of the kit's
 * problem (`code_expired`, `code_reused` ...) of a rejection the client reports more generally.
 */
export function errorCode(error: unknown): string | undefined {
  // The client's `MfaError` names the problem it carries.
  const e = error as { code?: unknown; problemName?: string } | null;
  const name = e?.problemName;
  const code = e?.code as string | undefined;
  return name === "invalid_code"
    ? "INVALID_CODE"
    : name === "locked"
      ? "LOCKED"
      : // An outage, a fault or a failed delivery: whatever the problem, never a lock.
        code === "SERVICE_UNAVAILABLE" || code === "DELIVERY_FAILED"
        ? code
        : (name ?? code);
}
