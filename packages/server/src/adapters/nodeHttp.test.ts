import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type FetchHandler, type NodeAdapterOptions, toNodeListener } from "./nodeHttp";

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function serve(handler: FetchHandler, options?: NodeAdapterOptions): Promise<string> {
  server = createServer(toNodeListener(handler, options));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A raw request whose body is written in chunks without a Content-Length (chunked encoding). */
function chunkedPost(base: string, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/upload`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("toNodeListener", () => {
  it("passes method, URL, headers and body to the handler and its answer back", async () => {
    const base = await serve(async (req) => {
      const echo = {
        method: req.method,
        url: req.url,
        custom: req.headers.get("x-custom"),
        body: await req.text(),
      };
      return Response.json(echo, { status: 201, headers: { "X-Answer": "yes" } });
    });
    const res = await fetch(`${base}/mfa/verify?x=1`, {
      method: "POST",
      headers: { "X-Custom": "abc", "Content-Type": "application/json" },
      body: '{"code":"123456"}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-answer")).toBe("yes");
    expect(await res.json()).toEqual({
      method: "POST",
      url: `${base}/mfa/verify?x=1`,
      custom: "abc",
      body: '{"code":"123456"}',
    });
  });

  it("resolves URLs against the configured origin", async () => {
    const base = await serve((req) => new Response(req.url), {
      origin: "https://api.example.com",
    });
    expect(await (await fetch(`${base}/a/b?c=d`)).text()).toBe("https://api.example.com/a/b?c=d");
  });

  it("answers 413 problem+json at the first read when Content-Length is past the limit", async () => {
    const base = await serve(async (req) => new Response(await req.text()), { bodyLimit: 10 });
    const res = await fetch(`${base}/x`, { method: "POST", body: "x".repeat(11) });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({
      type: "urn:mfa-kit:problem:invalid-request",
      status: 413,
    });
  });

  it("never reads a body the handler does not ask for, so a large one passes to next()", async () => {
    server = createServer((req, res) =>
      toNodeListener(() => null, { bodyLimit: 10 })(req, res, async () => {
        let size = 0;
        for await (const chunk of req) size += (chunk as Buffer).byteLength;
        res.end(`next read ${size} bytes`);
      }),
    );
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/upload`, { method: "POST", body: "x".repeat(100_000) });
    expect(await res.text()).toBe("next read 100000 bytes");
  });

  it("answers 413 when a chunked body passes the limit while it streams", async () => {
    const base = await serve(
      async (req) => {
        try {
          await req.text();
          return new Response("read it all");
        } catch {
          return new Response("body failed", { status: 400 });
        }
      },
      { bodyLimit: 1024 },
    );
    const ok = await chunkedPost(base, ["a".repeat(600), "b".repeat(400)]);
    expect(ok).toEqual({ status: 200, body: "read it all" });
    const big = await chunkedPost(base, ["a".repeat(600), "b".repeat(600)]);
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ status: 413 });
  });

  it("streams a response body chunk by chunk", async () => {
    const encoder = new TextEncoder();
    let pulls = 0;
    const base = await serve(
      () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              pulls++;
              if (pulls > 100) controller.close();
              else controller.enqueue(encoder.encode(`${"x".repeat(1000)}\n`));
            },
          }),
        ),
    );
    const text = await (await fetch(`${base}/stream`)).text();
    expect(text.split("\n").filter(Boolean)).toHaveLength(100);
  });

  it("keeps each Set-Cookie header apart and sends no body for HEAD", async () => {
    const base = await serve(() => {
      const headers = new Headers();
      headers.append("Set-Cookie", "a=1; Path=/");
      headers.append("Set-Cookie", "b=2; Path=/");
      return new Response("body", { headers });
    });
    const res = await fetch(`${base}/`, { method: "HEAD" });
    expect(res.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    expect(await res.text()).toBe("");
  });

  it("answers 500 problem+json without a stack trace when the handler throws", async () => {
    const base = await serve(() => {
      throw new Error("secret internals at /srv/app.js:12");
    });
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const text = await res.text();
    expect(text).not.toMatch(/secret|app\.js/);
    expect(JSON.parse(text)).toMatchObject({ status: 500, title: "Internal server error" });
  });

  it("aborts the request signal when the client goes away", async () => {
    let aborted: () => void = () => {};
    const sawAbort = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    const base = await serve(
      (req) =>
        new Promise<Response>(() => {
          req.signal.addEventListener("abort", () => aborted());
        }),
    );
    const client = new AbortController();
    const pending = fetch(`${base}/slow`, { signal: client.signal }).catch(() => "aborted");
    await new Promise((resolve) => server!.once("request", resolve));
    client.abort();
    expect(await pending).toBe("aborted");
    await sawAbort;
  });
});
