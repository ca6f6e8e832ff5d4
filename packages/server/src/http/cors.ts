import { PROBLEM_CONTENT_TYPE, problem } from "@mfa-kit/protocol";
import { CORS_EXPOSED_HEADERS, CORS_REQUEST_HEADERS } from "@mfa-kit/protocol/cors";
import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";

/** Cross-origin access for browsers on other origins (the SPA on `app.example.com`). */
export interface CorsOptions {
  /**
   * The origins allowed to call, as serialised origins (`"https://app.example.com"`), or a
   * function of the request's `Origin`. `"*"` is refused, and so is the opaque origin `"null"`.
   * Required.
   */
  origins: readonly string[] | ((origin: string) => boolean);
  /** How long a browser may reuse a preflight answer, in seconds. Defaults to `600`. */
  maxAgeS?: number;
  /**
   * Whether to send `Access-Control-Allow-Credentials: true`, for an API whose primary
   * authentication is a cookie. Defaults to `false` (the kit's headers need no credentials mode).
   */
  credentials?: boolean;
}

/** CORS for one set of options: preflight answers and the headers of every other answer. */
export interface Cors {
  /**
   * The answer to a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`):
   * 204 for an allowed origin and method, 403 problem+json otherwise; `null` when `req` is not a
   * preflight.
   */
  preflight(req: Request, methods: readonly string[] | null): Response | null;
  /** The headers an answer to a request from `origin` carries (`Vary: Origin` always). */
  headersFor(origin: string | null | undefined): [name: string, value: string][];
  /** `response` with {@link headersFor} set (a copy when its headers are immutable). */
  apply(req: Request, response: Response): Response;
}

const EXPOSE = CORS_EXPOSED_HEADERS.join(", ");
const ALLOW_HEADERS = CORS_REQUEST_HEADERS.join(", ");
const TOKEN = /^[!#$%&'*+.^_`|~\w-]+$/;

/** A serialised origin (scheme, host, port; nothing else), or `undefined`. */
function canonicalOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    // Scheme, host and port only: no path, query, fragment or user info.
    return url.origin !== "null" && url.href === `${url.origin}/` ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks `options` (a `TypeError` names what is wrong: `"*"`, a URL with a path, no origins) and
 * returns the CORS of the kit's handler and guards.
 */
export function createCors(options: CorsOptions): Cors {
  const { origins } = options ?? ({} as CorsOptions);
  let allowed: (origin: string) => boolean;
  if (typeof origins === "function") {
    allowed = (origin) => {
      try {
        return origins(origin) === true;
      } catch {
        return false;
      }
    };
  } else if (Array.isArray(origins)) {
    const set = new Set<string>();
    for (const o of origins) {
      if (o === "*") {
        throw new MfaOptionError(
          "cors.origins",
          'cors.origins: "*" is not accepted: list the origins that may call (`["https://app.example.com"]`).',
        );
      }
      const canonical = typeof o === "string" ? canonicalOrigin(o) : undefined;
      if (!canonical) {
        throw new MfaOptionError(
          "cors.origins",
          `cors.origins: ${JSON.stringify(o)} is not an origin: write scheme, host and port only ("https://app.example.com").`,
        );
      }
      set.add(canonical);
    }
    if (set.size === 0)
      throw new MfaOptionError("cors.origins", "cors.origins: list at least one origin.");
    allowed = (origin) => set.has(origin);
  } else {
    throw new MfaOptionError(
      "cors.origins",
      "cors.origins: an array of origins or a function `(origin) => boolean` is required.",
    );
  }
  const maxAgeS = options.maxAgeS ?? 600;
  if (!Number.isInteger(maxAgeS) || maxAgeS < 0) {
    throw new MfaOptionError("cors.maxAgeS", "cors.maxAgeS: a whole number of seconds, 0 or more.");
  }
  const credentials = options.credentials === true;

  /** The request's origin when it may call, else `undefined`. Never `"null"`, never `*`. */
  const allow = (origin: string | null | undefined) =>
    origin && origin !== "null" && origin.length <= 2048 && allowed(origin) ? origin : undefined;

  const headersFor: Cors["headersFor"] = (origin) => {
    const ok = allow(origin);
    if (!ok) return [["Vary", "Origin"]];
    const out: [string, string][] = [
      ["Vary", "Origin"],
      ["Access-Control-Allow-Origin", ok],
      ["Access-Control-Expose-Headers", EXPOSE],
    ];
    if (credentials) out.push(["Access-Control-Allow-Credentials", "true"]);
    return out;
  };

  const problem403 = (detail: string) =>
    new Response(JSON.stringify(problem("invalid_request", { status: 403, detail })), {
      status: 403,
      headers: {
        "Content-Type": PROBLEM_CONTENT_TYPE,
        "Cache-Control": "no-store",
        Date: new Date().toUTCString(),
        Vary: "Origin",
      },
    });

  return {
    headersFor,
    preflight(req, methods) {
      const origin = req.headers.get("origin");
      const method = req.headers.get("access-control-request-method");
      if (req.method !== "OPTIONS" || origin === null || method === null) return null;
      const ok = allow(origin);
      if (!ok) return problem403("This origin may not call the API.");
      if (!TOKEN.test(method) || (methods !== null && !methods.includes(method))) {
        return problem403(`${method.slice(0, 32)} is not allowed here.`);
      }
      const headers = new Headers(headersFor(origin));
      headers.delete("Access-Control-Expose-Headers");
      headers.set("Access-Control-Allow-Methods", methods ? methods.join(", ") : method);
      headers.set("Access-Control-Allow-Headers", ALLOW_HEADERS);
      headers.set("Access-Control-Max-Age", String(maxAgeS));
      headers.append("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers");
      headers.set("Cache-Control", "no-store");
      return new Response(null, { status: 204, headers });
    },
    apply(req, response) {
      const extra = headersFor(req.headers.get("origin"));
      try {
        for (const [name, value] of extra) setHeader(response.headers, name, value);
        return response;
      } catch {
        // Immutable headers (a `fetch` answer passed on): copy them.
        const headers = new Headers(response.headers);
        for (const [name, value] of extra) setHeader(headers, name, value);
        return new Response(response.body, {
          status: response.status,
          statusText: response.statusText,
          headers,
        });
      }
    },
  };
}

/** Sets `name`, keeping what `Vary` already listed. */
function setHeader(headers: Headers, name: string, value: string) {
  if (name === "Vary") {
    const vary = headers.get("vary");
    if (vary && !/(^|,)\s*origin\s*(,|$)/i.test(vary)) headers.set("Vary", `${vary}, ${value}`);
    else if (!vary) headers.set("Vary", value);
    return;
  }
  headers.set(name, value);
}
