import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createDemoClients } from "./app/createDemoClients";
import { App } from "./ui/App";
import "./styles.css";

const root = document.getElementById("root")!;
const { hostname, origin } = window.location;
// WebAuthn needs a domain as relying party id (localhost counts), never an IP address.
const webauthn = !/^[\d.]+$|:/.test(hostname);

// The reference API runs in this page (its own chunk), served to it by MSW's service worker.
async function startApi() {
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
        <App clients={createDemoClients({ webauthn })} />
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.innerHTML =
      '<p role="alert" style="padding:24px">The demo API could not start: the browser did not register the mock service worker. Open the demo at http://localhost or http://127.0.0.1 in a current browser.</p>';
    console.error(error);
  },
);
