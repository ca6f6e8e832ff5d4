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
  /**
   * Share the MFA session with the origin's other tabs (`session.storage: "localStorage"`) and sign
   * them out with this one. Only for an API all tabs share (`?api=`): the in-page API is one per tab,
   * and another tab's session would mean nothing to it. Defaults to `false` (memory, this tab only).
   */
  shareAcrossTabs?: boolean;
}

/** The channel on which a tab tells the others it signed out of the app. */
const SIGN_OUT_CHANNEL = "mfa-kit-demo:sign-out";

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
    ...(options.shareAcrossTabs ? { session: { storage: "localStorage" as const } } : {}),
    onEvent: (event) => {
      const { text, kind } = describeClientEvent(event);
      activity.add(text, kind);
    },
  });
  const marker = options.signedInMarker;
  const reloaded = marker?.getItem(SIGNED_IN_KEY) === "1";
  marker?.removeItem(SIGNED_IN_KEY);
  // The app's own sign-in is one per tab; with a shared MFA session, signing out signs out all.
  const channel = options.shareAcrossTabs ? new BroadcastChannel(SIGN_OUT_CHANNEL) : null;
  let signingOutFromElsewhere = false;
  if (channel) {
    channel.onmessage = () => {
      signingOutFromElsewhere = true;
      void auth.signOut();
      signingOutFromElsewhere = false;
    };
  }
  // Signing out of the app ends the MFA session in this tab too.
  auth.subscribe(() => {
    const signedIn = !!auth.getSnapshot().user;
    if (signedIn) marker?.setItem(SIGNED_IN_KEY, "1");
    else marker?.removeItem(SIGNED_IN_KEY);
    if (signedIn) return;
    void mfa.signOut();
    if (!signingOutFromElsewhere) channel?.postMessage("sign-out");
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
