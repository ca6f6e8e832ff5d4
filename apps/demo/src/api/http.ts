import { type MfaProblem, PROBLEM_CONTENT_TYPE, problem } from "@mfa-kit/protocol";

/** A JSON response. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  h.set("Cache-Control", "no-store");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** An `application/problem+json` response (RFC 9457) with the problem's status. */
export function problemResponse(body: MfaProblem, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("Content-Type", PROBLEM_CONTENT_TYPE);
  h.set("Cache-Control", "no-store");
  return new Response(JSON.stringify(body), { status: body.status, headers: h });
}

/** A `400 invalid_request` problem with a detail for people. */
export function badRequest(detail: string, extra: Partial<MfaProblem> = {}): Response {
  return problemResponse(problem("invalid_request", { detail, ...extra }));
}

/** `204 No Content`. */
export function noContent(): Response {
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
}

/** The largest request body the demo API reads. */
const MAX_BODY_BYTES = 16 * 1024;

/** A parsed JSON object body, or the 4xx problem response to answer instead. */
export type JsonBody =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; response: Response };

/** Reads a JSON object body: too large → 413, not JSON or not an object → 400. */
export async function readJsonObject(req: Request): Promise<JsonBody> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return { ok: false, response: tooLarge() };
  let text: string;
  try {
    text = await req.text();
  } catch {
    return { ok: false, response: badRequest("The request body could not be read.") };
  }
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES) {
    return { ok: false, response: tooLarge() };
  }
  let body: unknown;
  try {
    body = text === "" ? {} : JSON.parse(text);
  } catch {
    return { ok: false, response: badRequest("The request body is not valid JSON.") };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, response: badRequest("The request body must be a JSON object.") };
  }
  return { ok: true, body: body as Record<string, unknown> };
}

function tooLarge(): Response {
  return problemResponse(
    problem("invalid_request", {
      status: 413,
      title: "Request body too large",
      detail: `The request body is limited to ${MAX_BODY_BYTES} bytes.`,
    }),
  );
}

/**
 * The bearer token of the `Authorization` header: `undefined` when there is no such header,
 * `null` when there is one but it holds no bearer token.
 */
export function bearerToken(req: Request): string | null | undefined {
  const value = req.headers.get("authorization");
  if (value === null) return undefined;
  const match = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(value);
  return match ? match[1]! : null;
}

/**
 * The 401 of a request without valid primary credentials: `Bearer error="invalid_token"` when it
 * carried an `Authorization` header (the client refreshes and replays), a bare `Bearer` otherwise.
 */
export function unauthorized(req: Request): Response {
  const sent = req.headers.has("authorization");
  return problemResponse(
    {
      type: "urn:mfa-kit:demo:problem:unauthorized",
      title: sent ? "Access token invalid or expired" : "Sign-in required",
      status: 401,
    },
    {
      "WWW-Authenticate": sent
        ? 'Bearer error="invalid_token", error_description="The access token is invalid or expired"'
        : "Bearer",
    },
  );
}
