import { createMfaClient, type MfaClientOptions } from "@mfa-kit/client";
import type { DemoClients } from "../ui/demoContext";
import { createActivityLog } from "./activityLog";
import { createAuthClient } from "./authClient";
import { createBankApi } from "./bankApi";
import { createDemoControlsClient } from "./demoControlsClient";
import { describeClientEvent } from "./describeClientEvent";

/** Options of {@link createDemoClients}. */
export interface DemoClientsOptions {
  /** Origin of the demo API. Defaults to the page's origin. */
  baseUrl?: string;
  /** Retry policy of the MFA client. Defaults to the client's (3 retries, 500 ms base). */
  retry?: MfaClientOptions["retry"];
  /** Whether the API accepts security keys (it needs a domain as relying party id). Defaults to `false`. */
  webauthn?: boolean;
  /**
   * Where to remember that this tab is signed in (`sessionStorage`), so that after a reload, which
   * starts the in-page API over, the sign-in screen says why the user is signed out. Defaults to
   * nothing remembered.
   */
  signedInMarker?: Pick<Storage, "getItem" | "setItem" | "removeItem">;
}

const SIGNED_IN_KEY = "mfa-kit-demo:signed-in";

/**
 * The clients the screens use: the app's own primary login, the MFA client wired to it (access
 * token, refresh, events into the activity log), the protected API and the demo's controls.
 */
export function createDemoClients(options: DemoClientsOptions = {}): DemoClients {
  const baseUrl = options.baseUrl ?? globalThis.location?.origin;
  if (!baseUrl) throw new TypeError("createDemoClients needs a baseUrl outside a browser.");
  const auth = createAuthClient({ baseUrl });
  const activity = createActivityLog();
  const mfa = createMfaClient({
    baseUrl,
    origins: [baseUrl],
    getAccessToken: () => auth.getAccessToken(),
    refreshAccessToken: () => auth.refreshAccessToken(),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
    onEvent: (event) => {
      const { text, kind } = describeClientEvent(event);
      activity.add(text, kind);
    },
  });
  const marker = options.signedInMarker;
  const reloaded = marker?.getItem(SIGNED_IN_KEY) === "1";
  marker?.removeItem(SIGNED_IN_KEY);
  // Signing out of the app ends the MFA session in this tab too.
  auth.subscribe(() => {
    const signedIn = !!auth.getSnapshot().user;
    if (signedIn) marker?.setItem(SIGNED_IN_KEY, "1");
    else marker?.removeItem(SIGNED_IN_KEY);
    if (!signedIn) void mfa.signOut();
  });
  const controls = createDemoControlsClient({
    baseUrl,
    authedFetch: (input, init) => mfa.fetch(input, init),
  });
  return {
    auth,
    mfa,
    activity,
    controls,
    bank: createBankApi(mfa, baseUrl),
    webauthn: options.webauthn ?? false,
    reloaded,
  };
}
