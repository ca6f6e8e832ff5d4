import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { describe, expect, it } from "vitest";
import { keepAliveAgents } from "./node";

/** The options an agent was made with (public at run time, missing from @types/node). */
const optionsOf = (agent: HttpAgent) =>
  (agent as HttpAgent & { options: { keepAlive?: boolean; timeout?: number } }).options;

describe("keepAliveAgents", () => {
  it("pools sockets with keep-alive 60 s, 100 per host and 1000 in total", () => {
    const { httpAgent, httpsAgent } = keepAliveAgents();
    expect(httpAgent).toBeInstanceOf(HttpAgent);
    expect(httpsAgent).toBeInstanceOf(HttpsAgent);
    for (const agent of [httpAgent, httpsAgent]) {
      expect(agent.maxSockets).toBe(100);
      expect(agent.maxTotalSockets).toBe(1000);
      expect(optionsOf(agent)).toMatchObject({ keepAlive: true, timeout: 60_000 });
    }
  });

  it("takes other numbers", () => {
    const { httpAgent } = keepAliveAgents({
      keepAliveMs: 5_000,
      maxSockets: 8,
      maxTotalSockets: 16,
    });
    expect(httpAgent).toMatchObject({ maxSockets: 8, maxTotalSockets: 16 });
    expect(optionsOf(httpAgent).timeout).toBe(5_000);
  });
});
