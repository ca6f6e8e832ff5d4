import type { Origins } from "../engine/origins";
import type { Redirect } from "./redirectGuard";

// In a browser, axios's xhr and fetch adapters leave redirects to the browser, which never calls
// `beforeRedirect`: the default build ships this file instead of `redirectGuard.ts`, which the
// `node` export condition ships, and a request costs no hook.

/** No guard: a browser follows redirects itself. */
export const redirectGuard = (
  _origins: Origins,
): ((config: { beforeRedirect?: Redirect }) => void) | undefined => undefined;
