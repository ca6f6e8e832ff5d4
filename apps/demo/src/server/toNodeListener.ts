import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";

/** A Fetch-style handler: one `Request` in, one `Response` out. */
export type FetchHandler = (req: Request) => Promise<Response>;

/**
 * Adapts a Fetch-style handler to `node:http`: the request becomes a `Request` (its body streamed,
 * its signal aborted when the client goes away) and the `Response` is written back, streaming.
 */
export function toNodeListener(
  handle: FetchHandler,
  options: { origin: () => string },
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const controller = new AbortController();
    res.on("close", () => controller.abort());
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    }
    const method = req.method ?? "GET";
    const hasBody = method !== "GET" && method !== "HEAD";
    let request: Request;
    try {
      request = new Request(new URL(req.url ?? "/", options.origin()), {
        method,
        headers,
        signal: controller.signal,
        ...(hasBody
          ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" }
          : {}),
      } as RequestInit);
    } catch {
      res.writeHead(400, { "Content-Type": "text/plain" }).end("Bad request\n");
      return;
    }
    handle(request).then(
      async (response) => {
        res.statusCode = response.status;
        response.headers.forEach((value, name) => {
          res.setHeader(name, value);
        });
        if (!response.body || method === "HEAD") {
          res.end();
          return;
        }
        Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>)
          .on("error", () => res.destroy())
          .pipe(res);
      },
      () => {
        if (!res.headersSent) {
          res.writeHead(500, { "Content-Type": "application/problem+json" });
        }
        res.end(
          JSON.stringify({ type: "about:blank", title: "Internal Server Error", status: 500 }),
        );
      },
    );
  };
}
