import { createMfaClient } from "@mfa-kit/client/oauth";
import { MfaProvider } from "@mfa-kit/react";
import { createRoot } from "react-dom/client";
import { App, type Telemetry } from "./App";
import { loadConfig, userManager } from "./oidc";

const config = await loadConfig();
const oidc = userManager(config);
if (new URLSearchParams(location.search).has("code")) {
  await oidc.signinRedirectCallback();
  history.replaceState(null, "", "/");
}

const telemetry: Telemetry = { reauthorizations: 0, events: [] };
const mfa = createMfaClient({
  origins: [config.api],
  baseUrl: config.api,
  getAccessToken: () => oidc.getUser().then((u) => u?.access_token),
  // RFC 9470: back to the provider with what the API asked for; the user answers in the popup.
  reauthorize: async ({ acrValues, maxAge }) => {
    telemetry.reauthorizations++;
    const user = await oidc.signinPopup({
      acr_values: acrValues.join(" "),
      ...(maxAge !== undefined ? { max_age: maxAge } : {}),
    });
    return user.access_token;
  },
  onEvent: (event) => telemetry.events.push(event.type),
});
(window as unknown as { example: unknown }).example = { telemetry, mfa };

createRoot(document.getElementById("root")!).render(
  <MfaProvider client={mfa}>
    <App oidc={oidc} mfa={mfa} telemetry={telemetry} />
  </MfaProvider>,
);
