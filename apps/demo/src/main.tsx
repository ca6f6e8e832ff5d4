import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createDemoApi } from "./api/createDemoApi";
import { createDemoClients } from "./app/createDemoClients";
import { startBrowserApi } from "./mocks/browser";
import { App } from "./ui/App";
import "./styles.css";

// The reference API runs in this page, served to it by MSW's service worker.
const api = createDemoApi();
startBrowserApi(api).then(
  () => {
    createRoot(document.getElementById("root")!).render(
      <StrictMode>
        <App clients={createDemoClients()} />
      </StrictMode>,
    );
  },
  (error: unknown) => {
    document.getElementById("root")!.innerHTML =
      '<p role="alert" style="padding:24px">The demo API could not start: this browser did not register the mock service worker. Open the demo on http://localhost or http://127.0.0.1 in a current browser.</p>';
    console.error(error);
  },
);
