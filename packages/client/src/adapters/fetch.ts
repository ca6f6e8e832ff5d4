import { MfaHeaders } from "@mfa-kit/protocol";
import type { Engine, Failure } from "../engine/engine";
import { MfaError } from "../engine/mfaError";
import { type Origins, pageUrl } from "../engine/origins";
import { RequestContext } from "../engine/requestContext";
import type { MfaRequestOptions } from "../engine/requestOptions";
import { abortError } from "../engine/wait";

/** `RequestInit` plus the client's per-request options (see {@link oneShot}). */
export type MfaRequestInit = RequestInit & { mfa?: MfaRequestOptions };

/** `fetch` with the client's behaviour: headers, refresh, step-up, retries, safe redirects. */
export type MfaFetch = (input: string | URL | Request, init?: MfaRequestInit) => Promise<Response>;

/** Headers that never follow a redirect to another origin. */
const SENSITIVE = [
  "authorization",
  "cookie",
  "proxy-authorization",
  MfaHeaders.sessionToken,
  MfaHeaders.mfaToken,
];

/**
 * A signal that aborts on the caller's signal or after `ms`; `kind()` tells why an attempt got no
 * response; `done()` stops the timer and the listening.
 */
function deadline(signal: AbortSignal | null | undefined, ms: number) {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, ms);
  const onAbort = () => ac.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort);
  return {
    signal: ac.signal,
    kind: (): Failure["kind"] => (signal?.aborted ? "abort" : timedOut ? "timeout" : "network"),
    done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * `mfa.fetch`. The engine sends its own requests (verify, session refresh, factors) through it too,
 * with `internal` set: they get credentials, token refresh and retries, never a step-up.
 */
export function fetchAdapter(engine: Engine, origins: Origins) {
  const o = engine.o;
  const urlOf = (ctx: RequestContext) => ctx.target as string;

  return async (
    input: string | URL | Request,
    init: MfaRequestInit = {},
    internal?: true,
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
    const userHeaders = new Headers(options.headers);
    let { body } = options;
    const ctx = new RequestContext(
      (options.method ?? "GET").toUpperCase(),
      options.signal,
      urlOf,
      new URL(input, o.baseUrl ?? pageUrl()).href,
      init.mfa,
      internal,
    );
    for (const name of userHeaders.keys()) ctx.mark(name);
    ctx.replayable = !(body instanceof ReadableStream);
    const follow = !options.redirect || options.redirect === "follow";
    let redirects = 0;

    for (;;) {
      const url = ctx.target as string;
      const wait = engine.before(ctx, origins.allows(url));
      if (wait) await wait;
      if (ctx.signal?.aborted) throw abortError(ctx.signal);
      const own: Record<string, string> = {};
      ctx.apply(own);
      const headers = new Headers(userHeaders);
      for (const name in own) headers.set(name, own[name]!);
      const d = deadline(ctx.signal, o.timeoutMs);
      let res: Response | undefined;
      let failure: Failure;
      try {
        // A request with credentials has its redirects followed here, so that they never reach
        // another origin.
        res = await (o.fetch ?? fetch)(url, {
          ...options,
          method: ctx.method,
          headers,
          body,
          signal: d.signal,
          redirect: follow && ctx.creds ? "manual" : options.redirect,
        });
      } catch (error) {
        failure = { status: 0, kind: d.kind(), error };
      } finally {
        d.done();
      }
      if (res) {
        const { status } = res;
        engine.after(ctx, res.headers.get("date"));
        if (res.type === "opaqueredirect") {
          // A browser hides the target: following it could send credentials anywhere.
          throw new MfaError("NETWORK", "Redirect of a credentialed request not followed.");
        }
        const location =
          follow && ctx.replayable && status > 300 && status < 309 && res.headers.get("location");
        if (location) {
          if (++redirects > 20) throw new MfaError("NETWORK", "Too many redirects.");
          const next = new URL(location, url);
          if (status === 303 || (status < 303 && ctx.method === "POST")) {
            ctx.method = "GET";
            body = undefined;
            userHeaders.delete("content-type");
          }
          if (next.origin !== new URL(url).origin)
            for (const name of SENSITIVE) userHeaders.delete(name);
          ctx.target = next.href;
          res.body?.cancel();
          continue;
        }
        if (status < 400) return res;
        const answer = res;
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
