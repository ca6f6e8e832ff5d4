// @vitest-environment node
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_USER } from "../api/demoUser";
import { type DemoServer, startDemoServer } from "./startDemoServer";

let server: DemoServer;

beforeAll(async () => {
  server = await startDemoServer({ passwordIterations: 1_000 });
});

afterAll(async () => {
  await server.close();
});

describe("the reference API over node:http", () => {
  test("binds the loopback interface on a free port", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
  });

  test("signs in and answers the MFA challenge of a protected route, like the MSW worker", async () => {
    const signIn = await fetch(`${server.url}/api/auth/signin`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: DEMO_USER.username, password: DEMO_USER.password }),
    });
    expect(signIn.status).toBe(200);
    const { accessToken } = (await signIn.json()) as { accessToken: string };
    const profile = await fetch(`${server.url}/api/profile`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(profile.status).toBe(401);
    expect(profile.headers.get("www-authenticate")).toContain("insufficient_user_authentication");
    expect(profile.headers.get("date")).not.toBeNull();
  });

  test("streams a request body and refuses one that is too large with a 413 problem", async () => {
    const res = await fetch(`${server.url}/api/auth/signin`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "x".repeat(40_000), password: "y" }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});
