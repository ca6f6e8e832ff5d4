import { type MfaRouteName, MfaRoutes } from "./routes";

/** The HTTP methods of the reference API's routes. */
export type MfaRouteMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** One route of the reference API: its path (relative to the base path) and its method. */
export interface MfaRoute {
  path: string;
  method: MfaRouteMethod;
}

type Methods = { readonly [K in MfaRouteName]: MfaRouteMethod };

/** The routes of {@link MfaRoutes}, each with its method. */
const withPaths = <const M extends Methods>(methods: M) =>
  Object.fromEntries(
    Object.entries(methods).map(([name, method]) => [
      name,
      { path: MfaRoutes[name as MfaRouteName], method },
    ]),
  ) as {
    readonly [K in MfaRouteName]: { readonly path: (typeof MfaRoutes)[K]; readonly method: M[K] };
  };

/**
 * The routes of the reference API with their methods, by name: `MfaRouteTable.removeFactor` is
 * `{ path: "/factors/:factorId", method: "DELETE" }`. The paths are those of {@link MfaRoutes}; the
 * methods are declared here only, for the server's router and the client's `mfa.api` alike.
 */
export const MfaRouteTable = /* @__PURE__ */ withPaths({
  enrollTotp: "POST",
  enrollContact: "POST",
  activateFactor: "POST",
  webauthnRegistrationOptions: "POST",
  webauthnRegistrationVerify: "POST",
  listFactors: "GET",
  removeFactor: "DELETE",
  renameFactor: "PATCH",
  challenge: "POST",
  verify: "POST",
  refreshSession: "POST",
  regenerateBackupCodes: "POST",
  signOut: "POST",
} satisfies Methods);
