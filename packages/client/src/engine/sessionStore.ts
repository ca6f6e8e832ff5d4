import type { MfaSessionResponse } from "@mfa-kit/protocol";
import type { StorageLike } from "./options";
import type { MfaSessionInfo } from "./types";

/**
 * A session from a verify or refresh answer: a token and numeric times are required, `acr` and
 * `amr` default to empty. `null` for anything else.
 */
export function toSession(body: unknown): MfaSessionResponse | null {
  const { token, expiresAt, authTime, acr, amr } = (body ?? {}) as Partial<MfaSessionResponse>;
  return typeof token === "string" &&
    token &&
    Number.isFinite(expiresAt) &&
    Number.isFinite(authTime)
    ? {
        token,
        expiresAt: expiresAt!,
        authTime: authTime!,
        acr: typeof acr === "string" ? acr : "",
        amr: Array.isArray(amr) ? amr : [],
      }
    : null;
}

/** The session without its token, frozen, as the snapshot shows it. */
export const sessionInfo = ({
  expiresAt,
  acr,
  amr,
  authTime,
}: MfaSessionResponse): MfaSessionInfo => Object.freeze({ expiresAt, acr, amr, authTime });

/** Where the session is persisted, or `undefined` to keep it in memory only. */
export function openStorage(
  option: "memory" | "sessionStorage" | StorageLike | undefined,
): StorageLike | undefined {
  try {
    // `sessionStorage` throws in some sandboxed frames and is absent outside browsers.
    return option === "sessionStorage"
      ? globalThis.sessionStorage
      : option === "memory"
        ? undefined
        : option;
  } catch {
    return undefined;
  }
}

/** Reads a persisted session, ignoring anything unreadable. */
export function loadSession(
  storage: StorageLike | undefined,
  key: string,
): MfaSessionResponse | null {
  try {
    return toSession(JSON.parse(storage?.getItem(key) ?? "null"));
  } catch {
    return null;
  }
}

/** Persists (or removes) the session; a full or failing storage only loses persistence. */
export function saveSession(
  storage: StorageLike | undefined,
  key: string,
  session: MfaSessionResponse | null,
): void {
  try {
    if (session) storage?.setItem(key, JSON.stringify(session));
    else storage?.removeItem(key);
  } catch {
    // Best effort: the session stays in memory.
  }
}
