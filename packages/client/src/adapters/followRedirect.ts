import { MfaError } from "../engine/mfaError";
import { CREDENTIAL_HEADERS, type RequestContext } from "../engine/requestContext";

// Where redirects are visible to scripts (Node, Deno, Bun, workers), `mfa.fetch` follows those of
// requests with credentials itself. The `node` export condition ships this file; the default build
// ships `followRedirect.browser.ts`, as a browser never shows a script the redirect.

/** What a redirect may change of a fetch request, besides its context's method and URL. */
export interface Hop {
  body: BodyInit | null | undefined;
  /** The caller's headers. */
  headers: Headers;
  /** Hops so far. */
  count: number;
}

/**
 * Follows `res` if it is a redirect (the fetch adapter asks for `redirect: "manual"` on requests
 * with credentials): the next URL goes into `ctx`, a 303 (or a 301/302 after a POST) turns the
 * request into a GET, and a hop to another origin drops the caller's credentials too.
 */
export function followRedirect(res: Response, ctx: RequestContext, hop: Hop): boolean {
  const { status } = res;
  const location = !ctx.stream && status > 300 && status < 309 && res.headers.get("location");
  if (!location) return false;
  if (++hop.count > 20) throw new MfaError("NETWORK", "Too many redirects.");
  const url = ctx.target as string;
  const next = new URL(location, url);
  if (status === 303 || (status < 303 && ctx.method === "POST")) {
    ctx.method = "GET";
    hop.body = undefined;
    hop.headers.delete("content-type");
  }
  if (next.origin !== new URL(url).origin) {
    for (const name of CREDENTIAL_HEADERS) hop.headers.delete(name);
  }
  ctx.target = next.href;
  res.body?.cancel();
  return true;
}
