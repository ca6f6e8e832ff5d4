import type { IncomingMessage, ServerResponse } from "node:http";
import { type CorsOptions, createCors } from "../http/cors";

/**
 * With `cors`, what a Node guard does first for every request: set the CORS headers of its origin
 * on `res`, so the route's own answer carries them (and the guard's denials, which set the same
 * values again). `undefined` without `cors`.
 */
export function nodeCors(
  options: CorsOptions | undefined,
): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
  if (!options) return undefined;
  const cors = createCors(options);
  return (req, res) => {
    const origin = req.headers.origin;
    for (const [name, value] of cors.headersFor(typeof origin === "string" ? origin : undefined)) {
      if (name === "Vary") {
        const vary = res.getHeader("vary");
        const listed = typeof vary === "string" ? vary : Array.isArray(vary) ? vary.join(", ") : "";
        if (!/(^|,)\s*origin\s*(,|$)/i.test(listed)) {
          res.setHeader("Vary", listed ? `${listed}, ${value}` : value);
        }
      } else res.setHeader(name, value);
    }
  };
}
