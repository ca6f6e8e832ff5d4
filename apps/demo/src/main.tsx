import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createDemoClients } from "./app/createDemoClients";
import { App } from "./ui/App";
import "./styles.css";

const root = document.getElementById("root")!;
const { hostname, origin } = window.location;
// WebAuthn needs a domain as relying party id (localhost counts), never an IP address.
const webauthn = !/^[\d.]+$|:/.test(hostname);

const LOOPBACK = /^(localhost|127\.0\.0\.1|\[::1\])$/;
/**
 * `?api=http://127.0.0.1:8787`: the reference API on another origin (`npm run serve`, with `cors`),
 * instead of in this page. Loopback only, on both sides: a link cannot send the sign-in elsewhere.
 */
function crossOriginApi(): string | undefined {
  const value = new URLSearchParams(window.location.search).get("api");
  if (!value || !LOOPBACK.test(hostname)) return undefined;
  try {
    const url = new URL(value);
    return LOOPBACK.test(url.hostname) && url.origin !== origin ? url.origin : undefined;
  } catch {
    return undefined;
  }
}
const api = crossOriginApi();

// The reference API runs in this page (its own chunk), served to it by MSW's service worker.
async function startApi() {
  if (api) return;
  const [{ createDemoApi }, { startBrowserApi }] = await Promise.all([
    import("./api/createDemoApi"),
    import("./mocks/browser"),
  ]);
  await startBrowserApi(
    createDemoApi(webauthn ? { mfa: { webauthn: { rpID: hostname, origin } } } : {}),
  );
}

startApi().then(
  () => {
    createRoot(root).render(
      <StrictMode>
        <App
          clients={createDemoClients(
            api
              ? { webauthn: false, baseUrl: api, shareAcrossTabs: true }
              : { webauthn, signedInMarker: window.sessionStorage },
          )}
        />
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.innerHTML =
      '<p role="alert" style="padding:24px">The demo API could not start: the browser did not register the mock service worker. Open the demo at http://localhost or http://127.0.0.1 in a current browser.</p>';
    console.error(error);
  },
);
