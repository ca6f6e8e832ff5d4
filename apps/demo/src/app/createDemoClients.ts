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
}

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
  // Signing out of the app ends the MFA session in this tab too.
  auth.subscribe(() => {
    if (!auth.getSnapshot().user) void mfa.signOut();
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
  };
}
