import type { MfaClient, MfaSnapshot } from "@mfa-kit/client";
import { useRef, useSyncExternalStore } from "react";
import { useMfaContext } from "../mfaContext";
import { useCountdown } from "./useCountdown";

/** What {@link useMfa} returns: the client's snapshot, a live rate-limit countdown and `signOut`. */
export interface MfaState extends MfaSnapshot {
  /** The client from the provider, for `mfa.fetch`, `mfa.api`, `mfa.stepUp` ... */
  client: MfaClient;
  /** Milliseconds until the rate limit lifts, updated every second; `null` when not limited. */
  rateLimitedForMs: number | null;
  /** Signs out on the server (`POST {base}/signout`) and forgets the MFA session here, even when that call fails. */
  signOut(): Promise<void>;
}

/**
 * The MFA state of the client from `<MfaProvider>`: session (`expiresAt`, `acr`, `amr`,
 * `authTime`), the pending challenge, clock offset and rate limit, re-rendering as they change.
 *
 * With a `selector`, returns what it picks from the snapshot and re-renders only when that
 * changes (`Object.is`: pick a value or one of the snapshot's own objects to profit):
 * `const signedIn = useMfa((s) => s.session !== null)`.
 */
export function useMfa(): MfaState;
export function useMfa<T>(selector: (snapshot: MfaSnapshot) => T): T;
export function useMfa<T>(selector?: (snapshot: MfaSnapshot) => T): MfaState | T {
  const { client } = useMfaContext("useMfa()");
  // The selection of one snapshot is computed once, so a selector may build an object (it then
  // re-renders on every change, as with no selector).
  const memo = useRef<[MfaSnapshot, unknown]>(null);
  const read = () => {
    const s = client.getSnapshot();
    if (!selector) return s;
    if (memo.current?.[0] !== s) memo.current = [s, selector(s)];
    return memo.current[1];
  };
  const value = useSyncExternalStore(client.subscribe, read, read);
  // Without a selector the whole snapshot is read, with a live rate-limit countdown.
  const snapshot = value as MfaSnapshot;
  const rateLimitedForMs = useCountdown(selector ? null : snapshot.rateLimitedUntil);
  return selector
    ? (value as T)
    : { ...snapshot, client, rateLimitedForMs, signOut: client.api.signOut };
}
