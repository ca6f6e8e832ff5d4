// The webhook transport the build uses when none is passed: `fetch`. The `node` build
// (tsup.config.ts) swaps this module for `./nodeDefaultTransport` (pooled node:http agents).
export { fetchWebhookTransport as defaultWebhookTransport } from "./fetchTransport";
