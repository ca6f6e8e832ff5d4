import type { Engine, Failure } from "../engine/engine";
import { MfaError } from "../engine/mfaError";
import { type Origins, pageUrl } from "../engine/origins";
import { applyHeaders, markOwn, RequestContext } from "../engine/requestContext";
import type { MfaRequestOptions } from "../engine/requestOptions";
import { abortError } from "../engine/wait";
import { followRedirect, type Hop } from "./followRedirect";

/** `RequestInit` plus the client's per-request options (see {@link oneShot}). */
export type MfaRequestInit = RequestInit & { mfa?: MfaRequestOptions };

/** `fetch` with the client's behaviour: headers, refresh, step-up, retries, safe redirects. */
export type MfaFetch = (input: string | URL | Request, init?: MfaRequestInit) => Promise<Response>;

function target(this: RequestContext) {
  return this.target as string;
}

/**
 * `mfa.fetch`. The engine sends its own requests (verify, session refresh, factors) through it too,
 * with `internal` set: they get credentials, token refresh and retries, never a step-up.
 */
export function fetchAdapter(engine: Engine, origins: Origins) {
  const o = engine.o;

  return async (
    input: string | URL | Request,
    init: MfaRequestInit = {},
    internal?: boolean,
  ): Promise<Response> => {
    let options: MfaRequestInit = init;
    if (input instanceof Request) {
      options = {
        method: input.method,
        headers: input.headers,
        body: input.body && (await input.arrayBuffer()),
        signal: input.signal,
        redirect: input.redirect,
        credentials: input.credentials,
        ...init,
      };
      input = input.url;
    }
    const { signal } = options;
    const hop: Hop = { body: options.body, headers: new Headers(options.headers), count: 0 };
    const ctx = new RequestContext(
      options.method ?? "GET",
      signal,
      target,
      new URL(input, o.baseUrl ?? pageUrl()).href,
      init.mfa,
      internal,
    );
    for (const name of hop.headers.keys()) markOwn(ctx, name);
    ctx.stream = hop.body instanceof ReadableStream;
    const follow = (options.redirect ?? "follow") === "follow";

    for (;;) {
      const url = ctx.target as string;
      await engine.before(ctx, origins.allows_(url));
      if (signal?.aborted) throw abortError(signal);
      const own: Record<string, string> = {};
      applyHeaders(ctx, own);
      const headers = new Headers(hop.headers);
      for (const name in own) headers.set(name, own[name]!);
      // One signal for the caller's abort and the timeout.
      const ac = new AbortController();
      const abort = () => ac.abort();
      const timer = setTimeout(abort, o.timeoutMs);
      signal?.addEventListener("abort", abort);
      let res: Response | undefined;
      let failure: Failure;
      try {
        // A request with credentials has its redirects followed here, so that they never reach
        // another origin.
        res = await (o.fetch ?? fetch)(url, {
          ...options,
          method: ctx.method,
          headers,
          body: hop.body,
          signal: ac.signal,
          redirect: follow && ctx.creds ? "manual" : options.redirect,
        });
      } catch (error) {
        failure = {
          status: 0,
          kind: signal?.aborted ? "abort" : ac.signal.aborted ? "timeout" : "network",
          error,
        };
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abort);
      }
      if (res) {
        const answer = res;
        const { status } = res;
        engine.after(ctx, res.headers.get("date"));
        if (res.type === "opaqueredirect") {
          // A browser hides the target: following it could send credentials anywhere.
          throw new MfaError("NETWORK", "Redirect of a credentialed request not followed.");
        }
        if (follow && followRedirect(res, ctx, hop)) continue;
        if (status < 400) return res;
        failure = {
          status,
          headers: res.headers,
          body: () =>
            answer
              .clone()
              .json()
              .catch(() => null),
          response: res,
        };
      }
      if (!(await engine.handle(ctx, failure!))) return res!;
      res?.body?.cancel();
    }
  };
}
