import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CorsOptions, createCors } from "@mfa-kit/server";
import { toNodeListener } from "@mfa-kit/server/node";
import { createDemoApi, type DemoApi, type DemoApiOptions } from "../api/createDemoApi";

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions extends DemoApiOptions {
  /** The port; 0 picks a free one. Defaults to 0. */
  port?: number;
  /** The interface to bind. Defaults to `127.0.0.1` (loopback only). */
  host?: string;
  /** Cross-origin access, for the app served from another origin. Defaults to none. */
  cors?: CorsOptions;
}

/** A running demo API server. */
export interface DemoServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  api: DemoApi;
  server: Server;
  close(): Promise<void>;
}

/** Serves the reference API over `node:http` (the same `handleRequest` MSW serves in the browser). */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const { port = 0, host = "127.0.0.1", cors: corsOptions, ...apiOptions } = options;
  const api = createDemoApi(apiOptions);
  const cors = corsOptions ? createCors(corsOptions) : undefined;
  // Every route of the demo (sign-in, accounts, MFA) answers preflights and exposes its headers.
  const handle = async (req: Request) =>
    cors
      ? (cors.preflight(req, null) ?? cors.apply(req, await api.handleRequest(req)))
      : api.handleRequest(req);
  await api.ready;
  let origin = `http://${host}`;
  // The kit's adapter: a streamed body with a byte limit, the signal aborted when the client leaves.
  const server = createServer(
    { keepAliveTimeout: 60_000 },
    toNodeListener(handle, { origin: () => origin }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  origin = `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
  return {
    url: origin,
    port: bound,
    api,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
