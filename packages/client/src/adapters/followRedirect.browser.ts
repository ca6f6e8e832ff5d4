import type { RequestContext } from "../engine/requestContext";
import type { Hop } from "./followRedirect";

// In a browser, fetch follows redirects itself and shows a script only an opaque redirect for a
// request sent with `redirect: "manual"`, which the fetch adapter refuses. The default build ships
// this file instead of `followRedirect.ts`, which the `node` export condition ships.

/** Never follows: a browser does not show the redirect. */
export const followRedirect = (_res: Response, _ctx: RequestContext, _hop: Hop): boolean => false;
