import type { MfaClient, MfaSnapshot } from "@mfa-kit/client";
import { useCallback, useSyncExternalStore } from "react";

/** The client's current snapshot; re-renders when it changes. */
export function useClientSnapshot(client: MfaClient): MfaSnapshot {
  const subscribe = useCallback((listener: () => void) => client.subscribe(listener), [client]);
  const getSnapshot = useCallback(() => client.getSnapshot(), [client]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
