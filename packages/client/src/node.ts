import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";

/** Options of {@link keepAliveAgents}. */
export interface KeepAliveOptions {
  /** How long an idle socket is kept, in ms. Defaults to 60 000. */
  keepAliveMs?: number;
  /** Sockets per host. Defaults to 100. */
  maxSockets?: number;
  /** Sockets in total. Defaults to 1 000. */
  maxTotalSockets?: number;
}

/**
 * Pooled `node:http` and `node:https` agents with keep-alive, for services calling an API often:
 * idle sockets kept 60 s, 100 sockets per host, 1 000 in total.
 *
 * @example
 * const { httpAgent, httpsAgent } = keepAliveAgents();
 * const api = mfa.wrap(axios.create({ baseURL, httpAgent, httpsAgent }));
 */
export function keepAliveAgents(options: KeepAliveOptions = {}): {
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
} {
  const { keepAliveMs = 60_000, maxSockets = 100, maxTotalSockets = 1_000 } = options;
  const agentOptions = {
    keepAlive: true,
    keepAliveMsecs: keepAliveMs,
    timeout: keepAliveMs,
    maxSockets,
    maxTotalSockets,
    maxFreeSockets: maxSockets,
    scheduling: "lifo" as const,
  };
  return { httpAgent: new HttpAgent(agentOptions), httpsAgent: new HttpsAgent(agentOptions) };
}
