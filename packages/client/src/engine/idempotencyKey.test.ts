import { afterEach, describe, expect, it, vi } from "vitest";
import { idempotencyKey } from "./idempotencyKey";

describe("idempotencyKey", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("is a fresh UUID v4", () => {
    const key = idempotencyKey();
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idempotencyKey()).not.toBe(key);
  });

  it("is 32 hex digits of random bytes where randomUUID is missing", () => {
    vi.stubGlobal("crypto", {
      getRandomValues: (bytes: Uint8Array) => {
        bytes.set(Array.from({ length: bytes.length }, (_, i) => i * 17));
        return bytes;
      },
    });
    expect(idempotencyKey()).toBe("00112233445566778899aabbccddeeff");
  });
});
