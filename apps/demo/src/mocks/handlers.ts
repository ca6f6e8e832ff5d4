import { http } from "msw";

/** The part of the demo API the mock handlers need. */
export interface RequestHandlerLike {
  handleRequest(req: Request): Promise<Response>;
}

/** The path prefixes the demo API answers; anything else goes to the network untouched. */
const API_PREFIXES = ["/api/", "/mfa/", "/demo/"] as const;

/** Whether `url` is a request for the demo API served at `origin`. */
function isApiRequest(url: string, origin: string): boolean {
  const u = new URL(url);
  return u.origin === origin && API_PREFIXES.some((p) => u.pathname.startsWith(p));
}

/**
 * The MSW handlers serving the demo API at `origin`, for the browser worker and for msw/node alike:
 * one catch-all that hands the request to `api.handleRequest` and lets every other request through.
 */
export function createHandlers(api: RequestHandlerLike, origin: string) {
  return [
    http.all("*", ({ request }) =>
      isApiRequest(request.url, origin) ? api.handleRequest(request) : undefined,
    ),
  ];
}
