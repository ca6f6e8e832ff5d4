import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { TLSSocket } from "node:tls";
import { PROBLEM_CONTENT_TYPE, problem } from "@mfa-kit/protocol";

/**
 * A Fetch-style handler: one `Request` in, one `Response` out, or `null` for "not mine" (what
 * `createMfaHandler` answers outside its `basePath`). The Node request comes second, for handlers
 * that need what earlier middleware left on it.
 */
export type FetchHandler<NodeRequest extends IncomingMessage = IncomingMessage> = (
  req: Request,
  nodeReq: NodeRequest,
) => Response | null | Promise<Response | null>;

/** A `node:http` request listener that is also connect-style middleware (`next` optional). */
export type NodeListener<NodeRequest extends IncomingMessage = IncomingMessage> = (
  req: NodeRequest,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** Options of the Node adapters ({@link toNodeListener}, {@link toFetchRequest}). */
export interface NodeAdapterOptions {
  /**
   * The largest request body passed on, in bytes; a larger one is answered 413 without being read
   * further. Defaults to `65_536` (the kit reads at most 64 KB of JSON).
   */
  bodyLimit?: number;
  /**
   * The origin request URLs are resolved against (`https://api.example.com`), or a function of the
   * request. Defaults to `http://<Host>` (`https://` on a TLS socket). Set it behind a proxy.
   */
  origin?: string | ((req: IncomingMessage) => string);
}

/** A converted request and how its body read went. */
export interface ConvertedRequest {
  /** The Fetch `Request`: headers copied, body streamed, `signal` aborted when the client leaves. */
  request: Request;
  /** Whether the handler read past `bodyLimit` (the body stream errored at that point). */
  tooLarge(): boolean;
}

const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Thrown into the request body stream when it passes the limit. */
class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`The request body is larger than ${limit} bytes.`);
    this.name = "BodyTooLargeError";
  }
}

const originOf = (req: IncomingMessage, option: NodeAdapterOptions["origin"]): string => {
  if (typeof option === "function") return option(req);
  if (option) return option;
  const scheme = (req.socket as TLSSocket).encrypted ? "https" : "http";
  const host = req.headers.host;
  if (host) {
    try {
      return new URL(`${scheme}://${host}`).origin;
    } catch {
      // A malformed Host header: fall back to loopback, the path is all the kit reads.
    }
  }
  return `${scheme}://localhost`;
};

/**
 * Streams a Node request body into a web `ReadableStream`, lazily (nothing is read until the
 * consumer asks, so a handler that declines a request leaves its body to the next one), with
 * backpressure (the socket is paused while the consumer is behind) and a byte limit (the stream
 * errors once it is passed, or at the first read when `Content-Length` already says so).
 */
function bodyStream(
  req: IncomingMessage,
  limit: number,
  declaredTooLarge: boolean,
  onTooLarge: () => void,
): ReadableStream<Uint8Array> {
  let size = 0;
  let started = false;
  let finished = false;
  const attach = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    req.on("data", (chunk: Buffer) => {
      if (finished) return;
      size += chunk.byteLength;
      if (size > limit) {
        finished = true;
        onTooLarge();
        req.pause();
        controller.error(new BodyTooLargeError(limit));
        return;
      }
      controller.enqueue(new Uint8Array(chunk));
      if ((controller.desiredSize ?? 0) <= 0) req.pause();
    });
    req.once("end", () => {
      if (finished) return;
      finished = true;
      controller.close();
    });
    req.once("error", (error) => {
      if (finished) return;
      finished = true;
      controller.error(error);
    });
    req.once("close", () => {
      if (finished || req.complete) return;
      finished = true;
      controller.error(new Error("The client aborted the request."));
    });
  };
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (!started) {
          started = true;
          if (declaredTooLarge) {
            finished = true;
            onTooLarge();
            controller.error(new BodyTooLargeError(limit));
            return;
          }
          attach(controller);
        }
        req.resume();
      },
      cancel() {
        finished = true;
        // Node drains what is left once the response has been sent.
        if (started) req.resume();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Converts a Node `IncomingMessage` into a Fetch `Request`: headers copied in order, the body
 * streamed (with backpressure) up to `bodyLimit`, the `signal` aborted when the client goes away.
 * Throws a `TypeError` for a request that cannot be represented (a header the Fetch API refuses).
 */
export function toFetchRequest(
  req: IncomingMessage,
  res?: ServerResponse,
  options: NodeAdapterOptions & {
    /** `false` leaves the body unread (for guards: the route reads it later). Defaults to `true`. */
    body?: boolean;
    /** The request target to use instead of `req.url` (Express: `originalUrl`). Defaults to `req.url`. */
    url?: string;
    /** `false` leaves out the `signal` (aborted when the client leaves). Defaults to `true`. */
    signal?: boolean;
  } = {},
): ConvertedRequest {
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const origin = originOf(req, options.origin);
  const target = new URL(options.url ?? req.url ?? "/", origin);
  const url = new URL(`${target.pathname}${target.search}`, origin);
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const method = (req.method ?? "GET").toUpperCase();
  let tooLarge = false;
  const declared = req.headers["content-length"];
  const declaredTooLarge =
    declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit;
  const hasBody = options.body !== false && method !== "GET" && method !== "HEAD";
  const init: RequestInit & { duplex?: "half" } = { method, headers };
  if (options.signal !== false) {
    // An AbortSignal costs a few microseconds per request: guards, which answer at once, skip it.
    const controller = new AbortController();
    (res ?? req).once("close", () => {
      if (!res?.writableFinished) controller.abort();
    });
    init.signal = controller.signal;
  }
  if (hasBody) {
    init.body = bodyStream(req, limit, declaredTooLarge, () => {
      tooLarge = true;
    });
    init.duplex = "half";
  }
  return { request: new Request(url, init), tooLarge: () => tooLarge };
}

/** A problem+json answer written straight to a Node response (for errors before the handler runs). */
function writeProblem(
  res: ServerResponse,
  status: number,
  title: string,
  detail: string,
  close = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(
    status >= 500
      ? { type: "about:blank", title, status, detail }
      : problem("invalid_request", { status, title, detail }),
  );
  res.writeHead(status, {
    "Content-Type": PROBLEM_CONTENT_TYPE,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    ...(close ? { Connection: "close" } : {}),
  });
  res.end(body);
}

/** The 400 for a request Node parsed but a Fetch `Request` cannot hold (a malformed URL or header). */
export const writeUnreadable = (res: ServerResponse): void =>
  writeProblem(res, 400, "Bad request", "The request cannot be read (malformed URL or header).");

/** 413 for a body past `bodyLimit`; the connection is closed rather than drained. */
export function writeTooLarge(res: ServerResponse, limit: number): void {
  writeProblem(
    res,
    413,
    "Content too large",
    `The request body is larger than ${limit} bytes.`,
    true,
  );
}

/**
 * Writes a Fetch `Response` to a Node `ServerResponse`: status, headers (each `Set-Cookie` kept
 * apart) and the body streamed with backpressure. No body for `HEAD`, 204 and 304. Resolves when
 * the response is finished or the client has gone away.
 */
export async function sendFetchResponse(
  res: ServerResponse,
  response: Response,
  method = "GET",
): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("Set-Cookie", cookies);
  const bodyless = method === "HEAD" || response.status === 204 || response.status === 304;
  if (!response.body || bodyless) {
    if (response.body) await response.body.cancel().catch(() => {});
    res.end();
    return;
  }
  try {
    await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
  } catch {
    // The client went away or the body failed half-way: nothing more can be said on this socket.
    res.destroy();
  }
}

/**
 * Serves a Fetch-style handler (the kit's `createMfaHandler`, or your whole fetch app) from
 * `node:http`: `createServer(toNodeListener(handler))`. A body the handler reads past `bodyLimit`
 * gets a 413 problem+json (a body it does not read is never touched). When the handler answers `null` the request goes to `next()`, or gets a 404
 * problem+json without one. A handler that throws gets a 500 problem+json without details (or the
 * error goes to `next(error)`).
 */
export function toNodeListener<NodeRequest extends IncomingMessage = IncomingMessage>(
  handler: FetchHandler<NodeRequest>,
  options: NodeAdapterOptions = {},
): NodeListener<NodeRequest> {
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  return (req, res, next) => {
    void serve(req, res, next);
  };

  async function serve(
    req: NodeRequest,
    res: ServerResponse,
    next?: (error?: unknown) => void,
  ): Promise<void> {
    let converted: ConvertedRequest;
    try {
      converted = toFetchRequest(req, res, options);
    } catch {
      writeUnreadable(res);
      return;
    }
    let response: Response | null;
    try {
      response = await handler(converted.request, req);
    } catch (error) {
      if (converted.tooLarge()) writeTooLarge(res, limit);
      else if (next) next(error);
      else writeProblem(res, 500, "Internal server error", "The server failed to answer.");
      return;
    }
    if (response === null) {
      if (next) next();
      else writeProblem(res, 404, "Not found", "No such route.");
      return;
    }
    if (converted.tooLarge()) {
      await response.body?.cancel().catch(() => {});
      writeTooLarge(res, limit);
      return;
    }
    await sendFetchResponse(res, response, converted.request.method);
  }
}
