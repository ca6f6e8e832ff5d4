import { type MfaRouteName, MfaRoutes } from "./routes";

/** The HTTP methods of the reference API's routes. */
export type MfaRouteMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** One route of the reference API: its path (relative to the base path) and its method. */
export interface MfaRoute {
  path: string;
  method: MfaRouteMethod;
}

/**
 * The routes of the reference API with their methods, by name: `MfaRouteTable.removeFactor` is
 * `{ path: "/factors/:factorId", method: "DELETE" }`. The paths are those of {@link MfaRoutes}; the
 * methods are declared here only, for the server's router and the client's `mfa.api` alike.
 */
export const MfaRouteTable = {
  enrollTotp: { path: MfaRoutes.enrollTotp, method: "POST" },
  enrollContact: { path: MfaRoutes.enrollContact, method: "POST" },
  activateFactor: { path: MfaRoutes.activateFactor, method: "POST" },
  webauthnRegistrationOptions: { path: MfaRoutes.webauthnRegistrationOptions, method: "POST" },
  webauthnRegistrationVerify: { path: MfaRoutes.webauthnRegistrationVerify, method: "POST" },
  listFactors: { path: MfaRoutes.listFactors, method: "GET" },
  removeFactor: { path: MfaRoutes.removeFactor, method: "DELETE" },
  renameFactor: { path: MfaRoutes.renameFactor, method: "PATCH" },
  challenge: { path: MfaRoutes.challenge, method: "POST" },
  verify: { path: MfaRoutes.verify, method: "POST" },
  refreshSession: { path: MfaRoutes.refreshSession, method: "POST" },
  regenerateBackupCodes: { path: MfaRoutes.regenerateBackupCodes, method: "POST" },
  signOut: { path: MfaRoutes.signOut, method: "POST" },
} as const satisfies { readonly [K in MfaRouteName]: MfaRoute };
