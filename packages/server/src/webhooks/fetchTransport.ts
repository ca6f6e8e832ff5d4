import type { WebhookRequest, WebhookResponse, WebhookTransport } from "./types";

/**
 * The portable webhook transport: the runtime's `fetch` (its own connection pooling), redirects
 * not followed (a webhook answered with a redirect failed), aborted after `timeoutMs`.
 */
export const fetchWebhookTransport: WebhookTransport = async (
  request: WebhookRequest,
): Promise<WebhookResponse> => {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error("webhook timed out")),
    request.timeoutMs,
  );
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: controller.signal,
    });
    // The body is not needed: read and dropped so the connection goes back to the pool.
    await response.arrayBuffer().catch(() => undefined);
    return { status: response.status, headers: response.headers };
  } finally {
    clearTimeout(timer);
  }
};
