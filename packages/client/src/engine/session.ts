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

/**
 * Where the session survives reloads: `sessionStorage`, `localStorage`, a {@link StorageLike}, or nowhere
 * (`"memory"`). Never throws: an unreadable value loads as `null`, a failing storage only loses
 * persistence (the session stays in memory).
 */
export function sessionPersistence(
  option: "memory" | "sessionStorage" | "localStorage" | StorageLike | undefined,
  key: string,
) {
  let storage: StorageLike | undefined;
  try {
    // `sessionStorage` throws in some sandboxed frames and is absent outside browsers.
    storage =
      option === "sessionStorage"
        ? globalThis.sessionStorage
        : option === "localStorage"
          ? globalThis.localStorage
          : option === "memory"
            ? undefined
            : option;
  } catch {}
  return {
    load_(): MfaSessionResponse | null {
      try {
        return toSession(JSON.parse(storage?.getItem(key) ?? "null"));
      } catch {
        return null;
      }
    },
    save_(session: MfaSessionResponse | null): void {
      try {
        if (session) storage?.setItem(key, JSON.stringify(session));
        else storage?.removeItem(key);
      } catch {}
    },
  };
}
