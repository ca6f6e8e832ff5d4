import fc from "fast-check";
import { createMfaHandler, type MfaHandlerOptions } from "../http/handler";
import type { TestKit } from "./fixtures";

/** The access token the test `authenticate` accepts for a user: `token-<userId>`. */
const bearer = (userId: string) => ({ Authorization: `Bearer token-${userId}` });

/** A handler over a test kit, with `authenticate` reading `Bearer token-<userId>`. */
export function testHandler(kit: TestKit, options: Partial<MfaHandlerOptions> = {}) {
  const handler = createMfaHandler(kit.mfa, {
    authenticate: (req) => {
      const m = /^Bearer token-([\w-]+)$/.exec(req.headers.get("authorization") ?? "");
      return m ? m[1]! : null;
    },
    ...options,
  });
  /** Sends a request to the handler; `body` objects are sent as JSON. */
  const call = async (
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string>; user?: string | null } = {},
  ) => {
    const headers: Record<string, string> = {
      ...(init.user === null ? {} : bearer(init.user ?? "alice")),
      ...init.headers,
    };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
      headers["Content-Type"] ??= "application/json";
    }
    const res = await handler(
      new Request(`https://api.example.com${path}`, { method, headers, body }),
    );
    if (!res)
      return { res, status: 0, body: {} as Record<string, unknown>, headers: new Headers() };
    const text = await res.text();
    return {
      res,
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  };
  return { handler, call };
}

/** Character codes a `Headers` value may hold: anything in Latin-1 but NUL, CR and LF. */
export const headerCharCodes = (maxLength: number) =>
  fc
    .array(
      fc.integer({ min: 1, max: 255 }).filter((c) => c !== 10 && c !== 13),
      { maxLength },
    )
    .map((codes) => String.fromCharCode(...codes));
