// Replaces `./defaultTransport` in the `node` build: see tsup.config.ts.

import { type NodeWebhookTransport, nodeWebhookTransport } from "./nodeTransport";
import type { WebhookTransport } from "./types";

let shared: NodeWebhookTransport | undefined;

/** One pooled transport per process, made on the first delivery. */
export const defaultWebhookTransport: WebhookTransport = (request) => {
  shared ??= nodeWebhookTransport();
  return shared(request);
};
