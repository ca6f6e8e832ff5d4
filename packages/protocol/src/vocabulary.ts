// `@mfa-kit/protocol/vocabulary`: the names the server, the client and the React layer share, each
// declared once: the problems with their statuses and client codes, the routes with their methods,
// the factor types verified with a code, and the error of a bad option. A subpath, so that a
// browser bundle pays only for what it imports.
export { MfaOptionError } from "./optionError";
export {
  CODE_FACTOR_TYPES,
  type CodeFactorType,
  type MfaProblemCode,
  type MfaProblemInfo,
  MfaProblemTable,
} from "./problems";
export { type MfaRoute, type MfaRouteMethod, MfaRouteTable } from "./routeTable";
