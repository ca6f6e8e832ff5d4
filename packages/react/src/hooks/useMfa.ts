import type { MfaClient, MfaSnapshot } from "@mfa-kit/client";
import { useMfaContext } from "../mfaContext";
import { useClientSnapshot } from "./useClientSnapshot";
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
 */
export function useMfa(): MfaState {
  const { client } = useMfaContext("useMfa()");
  const snapshot = useClientSnapshot(client);
  const rateLimitedForMs = useCountdown(snapshot.rateLimitedUntil);
  return { ...snapshot, client, rateLimitedForMs, signOut: client.api.signOut };
}
