import type { MfaClient, MfaSnapshot } from "@mfa-kit/client";
import { useSyncExternalStore } from "react";

/** The client's current snapshot; re-renders when it changes (`subscribe`/`getSnapshot` are bound). */
export function useClientSnapshot(client: MfaClient): MfaSnapshot {
  return useSyncExternalStore(client.subscribe, client.getSnapshot, client.getSnapshot);
}
