/** Per-request options, set with {@link oneShot} (axios config or fetch init key `mfa`). */
export interface MfaRequestOptions {
  /** Answer a challenge on this request inline (`X-MFA-Token`) instead of verifying a session. Defaults to `false`. */
  oneShot?: boolean;
}

/**
 * Marks one request as a one-shot call: if the API challenges it, the challenge handler's code is
 * sent inline with the replay as `X-MFA-Token`, and no session is stored. Works on an axios config
 * and on a fetch init alike.
 *
 * @example await api.delete("/account", oneShot())
 * @example await mfa.fetch("/account", oneShot({ method: "DELETE" }))
 */
export function oneShot<T extends object = Record<never, never>>(config?: T): T {
  return { ...config, mfa: { oneShot: true } } as T;
}
