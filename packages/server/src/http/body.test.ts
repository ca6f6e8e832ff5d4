import { describe, expect, it } from "vitest";
import { optionalObject, optionalString, readHeader, readJsonBody } from "./body";

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request("https://api.test/mfa/verify", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
    duplex: "half",
  } as RequestInit);

/** A streamed body of `sizes` chunks (no Content-Length). */
const streamed = (sizes: number[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const size of sizes) controller.enqueue(new Uint8Array(size).fill(0x20));
      controller.close();
    },
  });

describe("readJsonBody", () => {
  it("reads a JSON object, and an empty body as {}", async () => {
    expect(await readJsonBody(post('{"code":"123456"}'))).toEqual({
      ok: true,
      value: { code: "123456" },
    });
    expect(await readJsonBody(post(null))).toEqual({ ok: true, value: {} });
    expect(await readJsonBody(post(""))).toEqual({ ok: true, value: {} });
    // an empty body needs no content type
    expect(await readJsonBody(post("", { "Content-Type": "text/plain" }))).toEqual({
      ok: true,
      value: {},
    });
  });

  it("takes application/json with parameters, in any case, and +json types", async () => {
    for (const type of [
      "application/json; charset=utf-8",
      "application/json ; charset=utf-8",
      "  Application/JSON ",
      "application/merge-patch+json",
      "application/vnd.acme.v1+json",
    ]) {
      expect(await readJsonBody(post("{}", { "Content-Type": type }))).toEqual({
        ok: true,
        value: {},
      });
    }
  });

  it("answers 415 for a body not declared as JSON", async () => {
    const unsupported = { ok: false, status: 415, detail: "Send the body as application/json." };
    for (const type of [
      "text/plain",
      "application/jsonx",
      "application/+json",
      "json",
      "application/vnd.acme+jsonx",
      "text/application/vnd.acme+json",
    ]) {
      expect(await readJsonBody(post("{}", { "Content-Type": type }))).toEqual(unsupported);
    }
    const bare = new Request("https://api.test/", { method: "POST", body: new Uint8Array([0x7b]) });
    expect(await readJsonBody(bare)).toEqual(unsupported);
  });

  it("answers 400 naming what is wrong: UTF-8, JSON, not an object", async () => {
    expect(await readJsonBody(post(new Uint8Array([0x7b, 0xff, 0x7d])))).toEqual({
      ok: false,
      status: 400,
      detail: "The body is not valid UTF-8.",
    });
    expect(await readJsonBody(post("{code:1}"))).toEqual({
      ok: false,
      status: 400,
      detail: "The body is not valid JSON.",
    });
    for (const body of ["[]", "null", "1", '"x"', "true"]) {
      expect(await readJsonBody(post(body))).toEqual({
        ok: false,
        status: 400,
        detail: "The body must be a JSON object.",
      });
    }
  });

  it("reads up to the limit, and answers 413 one byte past it, streamed or declared", async () => {
    const tooLarge = { ok: false, status: 413, detail: "The body is larger than 64 KB." };
    const limit = 64 * 1024;
    const exact = `{}${" ".repeat(limit - 2)}`;
    expect(await readJsonBody(post(exact))).toEqual({ ok: true, value: {} });
    expect(await readJsonBody(post(`${exact} `))).toEqual(tooLarge);
    // streamed (no Content-Length): the bytes are counted as they come; blanks only read to the end
    expect(await readJsonBody(post(streamed([limit / 2, limit / 2])))).toEqual({
      ok: false,
      status: 400,
      detail: "The body is not valid JSON.",
    });
    expect(await readJsonBody(post(streamed([limit / 2, limit / 2 + 1])))).toEqual(tooLarge);
    // a declared length past the limit is refused before reading
    expect(await readJsonBody(post("{}", { "Content-Length": String(limit + 1) }))).toEqual(
      tooLarge,
    );
    // a declared length within the limit (or not a number) changes nothing
    expect(await readJsonBody(post("{}", { "Content-Length": String(limit) }))).toEqual({
      ok: true,
      value: {},
    });
    expect(await readJsonBody(post("{}", { "Content-Length": "1e9" }))).toEqual({
      ok: true,
      value: {},
    });
    // a smaller limit
    expect(await readJsonBody(post('{"a":1}'), 7)).toEqual({ ok: true, value: { a: 1 } });
    expect(await readJsonBody(post('{"a":12}'), 7)).toEqual(tooLarge);
  });

  it("joins streamed chunks in order", async () => {
    const parts = ['{"co', 'de":"12', '3456"}'].map((s) => new TextEncoder().encode(s));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    expect(await readJsonBody(post(body))).toEqual({ ok: true, value: { code: "123456" } });
  });

  it("answers 400 when the body cannot be read", async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("connection reset"));
      },
    });
    expect(await readJsonBody(post(broken))).toEqual({
      ok: false,
      status: 400,
      detail: "The body could not be read.",
    });
  });
});

describe("body fields", () => {
  it("optionalString: absent or null is undefined; a string up to max; else a message", () => {
    expect(optionalString({}, "label", 3)).toEqual({ ok: true, value: undefined });
    expect(optionalString({ label: null }, "label", 3)).toEqual({ ok: true, value: undefined });
    expect(optionalString({ label: "abc" }, "label", 3)).toEqual({ ok: true, value: "abc" });
    expect(optionalString({ label: "abcd" }, "label", 3)).toEqual({
      ok: false,
      detail: "`label` is longer than 3 characters.",
    });
    expect(optionalString({ label: 5 }, "label", 3)).toEqual({
      ok: false,
      detail: "`label` must be a string.",
    });
  });

  it("optionalObject: absent or null is undefined; an object; else a message", () => {
    expect(optionalObject({}, "webauthn")).toEqual({ ok: true, value: undefined });
    expect(optionalObject({ webauthn: null }, "webauthn")).toEqual({ ok: true, value: undefined });
    expect(optionalObject({ webauthn: { id: "x" } }, "webauthn")).toEqual({
      ok: true,
      value: { id: "x" },
    });
    for (const value of [[], "x", 1, true]) {
      expect(optionalObject({ webauthn: value }, "webauthn")).toEqual({
        ok: false,
        detail: "`webauthn` must be a JSON object.",
      });
    }
  });

  it("readHeader: trimmed visible ASCII and tabs, undefined when absent, null otherwise", () => {
    const req = (value: string) => new Request("https://api.test/", { headers: { "X-A": value } });
    expect(readHeader(new Request("https://api.test/"), "x-a")).toBeUndefined();
    expect(readHeader(req(" a\tb~ "), "x-a")).toBe("a\tb~");
    expect(readHeader(req(""), "x-a")).toBe("");
    // Headers may carry bytes 0x80..0xff (read as Latin-1) and DEL: refused
    expect(readHeader(req("caf\u00e9"), "x-a")).toBeNull();
    expect(readHeader(req("a\u007fb"), "x-a")).toBeNull();
  });
});
