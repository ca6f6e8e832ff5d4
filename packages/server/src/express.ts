export { requireAcrMiddleware } from "./adapters/acr";
export {
  type MfaRouterOptions,
  mfaRouter,
  type RequireMfaMiddlewareOptions,
  requireMfaMiddleware,
} from "./adapters/express";
