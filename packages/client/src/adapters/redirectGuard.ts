import type { Origins } from "../engine/origins";
import { CREDENTIAL_HEADERS } from "../engine/requestContext";

// Credentials never follow a redirect to an origin outside the allowed ones, whoever set them.

/** follow-redirects' hook, as axios passes it on. */
export type Redirect = (
  options: { href?: string; headers?: Record<string, unknown> },
  ...rest: unknown[]
) => void;

/**
 * Guards the requests of axios in Node, whose follow-redirects calls `beforeRedirect` before each
 * hop: the guard runs first, then the request's (or the instance's) own hook, if any.
 */
export function redirectGuard(
  origins: Origins,
): ((config: { beforeRedirect?: Redirect }) => void) | undefined {
  const guard: Redirect = ({ href, headers }) => {
    if (href && !origins.allows_(href)) {
      for (const name in headers) {
        if (CREDENTIAL_HEADERS.includes(name.toLowerCase())) delete headers[name];
      }
    }
  };
  return (config) => {
    const hook = config.beforeRedirect;
    config.beforeRedirect = hook
      ? (options, ...rest) => {
          guard(options);
          hook(options, ...rest);
        }
      : guard;
  };
}
