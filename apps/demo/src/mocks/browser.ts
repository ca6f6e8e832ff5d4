import { setupWorker } from "msw/browser";
import { createHandlers, type RequestHandlerLike } from "./handlers";

/**
 * Serves the demo API inside the page through MSW's service worker: requests to `/api/`, `/mfa/`
 * and `/demo/` never leave the browser. The API's state lives in the page, so a reload resets it.
 */
export async function startBrowserApi(api: RequestHandlerLike): Promise<void> {
  const worker = setupWorker(...createHandlers(api, window.location.origin));
  await worker.start({
    onUnhandledRequest: "bypass",
    quiet: true,
    serviceWorker: { url: `${import.meta.env.BASE_URL}mockServiceWorker.js` },
  });
}
