export { type NodeAcrGuard, type RequireAcrNodeOptions, requireAcrNode } from "./adapters/acr";
export {
  type ConvertedRequest,
  type FetchHandler,
  type NodeAdapterOptions,
  type NodeListener,
  sendFetchResponse,
  toFetchRequest,
  toNodeListener,
} from "./adapters/nodeHttp";
export {
  createMfaNodeHandler,
  type MfaNodeHandlerOptions,
  type NodeAuthenticate,
  type NodeMfaGuard,
  type RequireMfaNodeOptions,
  requireMfaNode,
} from "./adapters/nodeMfa";
export {
  type NodeWebhookTransport,
  type NodeWebhookTransportOptions,
  nodeWebhookTransport,
} from "./webhooks/nodeTransport";
