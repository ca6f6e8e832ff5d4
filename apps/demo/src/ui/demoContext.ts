import type { MfaClient } from "@mfa-kit/client";
import { createContext, useContext, useSyncExternalStore } from "react";
import type { ActivityLog } from "../app/activityLog";
import type { AuthClient } from "../app/authClient";
import type { BankApi } from "../app/bankApi";
import type { DemoControlsClient } from "../app/demoControlsClient";

/** Everything the screens talk to. */
export interface DemoClients {
  auth: AuthClient;
  mfa: MfaClient;
  controls: DemoControlsClient;
  activity: ActivityLog;
  bank: BankApi;
  /** The API accepts security keys (WebAuthn). */
  webauthn: boolean;
  /** This tab was signed in before a reload, which started the in-page API over. */
  reloaded: boolean;
}

export const DemoContext = createContext<DemoClients | null>(null);

/** The demo's clients; throws outside `<DemoContext.Provider>`. */
export function useDemo(): DemoClients {
  const value = useContext(DemoContext);
  if (!value) throw new Error("useDemo() must be used inside <DemoContext.Provider>.");
  return value;
}

/** The signed-in user, re-rendering on sign-in and sign-out. */
export function useUser() {
  const { auth } = useDemo();
  return useSyncExternalStore(auth.subscribe, auth.getSnapshot, auth.getSnapshot).user;
}
