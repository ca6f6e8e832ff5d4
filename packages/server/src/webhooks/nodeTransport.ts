import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { WebhookRequest, WebhookResponse, WebhookTransport } from "./types";

/** Options of {@link nodeWebhookTransport}. */
export interface NodeWebhookTransportOptions {
  /** How long an idle pooled connection is kept. Defaults to `60_000`. */
  keepAliveMs?: number;
  /** Connections per host. Defaults to `100`. */
  maxSocketsPerHost?: number;
  /** Connections in all. Defaults to `1_000`. */
  maxSockets?: number;
}

/** A transport with its agents, so tests and shutdown can close the pooled connections. */
export type NodeWebhookTransport = WebhookTransport & {
  readonly agents: { http: HttpAgent; https: HttpsAgent };
  /** Closes every pooled connection. */
  destroy(): void;
};

/**
 * The Node webhook transport (what the `node` export condition uses by default): `node:http` and
 * `node:https` agents with keep-alive pooling (idle connections kept 60 s, 100 per host, 1 000 in
 * all), each request aborted after its `timeoutMs` (the kit's 10 s), response bodies drained.
 */
export function nodeWebhookTransport(
  options: NodeWebhookTransportOptions = {},
): NodeWebhookTransport {
  const pool = {
    keepAlive: true,
    // An idle pooled socket closes after this long (Agent `timeout` applies to free sockets).
    timeout: options.keepAliveMs ?? 60_000,
    maxSockets: options.maxSocketsPerHost ?? 100,
    maxTotalSockets: options.maxSockets ?? 1_000,
    maxFreeSockets: options.maxSocketsPerHost ?? 100,
    scheduling: "lifo" as const,
  };
  const agents = { http: new HttpAgent(pool), https: new HttpsAgent(pool) };

  const send = (request: WebhookRequest): Promise<WebhookResponse> =>
    new Promise((resolve, reject) => {
      const url = new URL(request.url);
      const secure = url.protocol === "https:";
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: request.method,
          headers: { ...request.headers, "content-length": Buffer.byteLength(request.body) },
          agent: secure ? agents.https : agents.http,
        },
        (res) => {
          clearTimeout(timer);
          res.resume();
          res.on("error", () => undefined);
          const headers = res.headers;
          resolve({
            status: res.statusCode ?? 0,
            headers: {
              get: (name: string) => {
                const value = headers[name.toLowerCase()];
                return Array.isArray(value) ? value.join(", ") : (value ?? null);
              },
            },
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new Error(`webhook timed out after ${request.timeoutMs} ms`));
      }, request.timeoutMs);
      req.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(request.body);
    });

  return Object.assign(send, {
    agents,
    destroy() {
      agents.http.destroy();
      agents.https.destroy();
    },
  });
}
