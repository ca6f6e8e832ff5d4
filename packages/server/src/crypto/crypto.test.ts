import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64Url, toHex, utf8 } from "./encoding";
import { nodeCrypto } from "./node";
import { portableCrypto } from "./portable";
import type { MfaCrypto } from "./types";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)));

describe.each<[string, MfaCrypto]>([
  ["portable", portableCrypto],
  ["node", nodeCrypto],
])("%s crypto", (_name, crypto) => {
  it("computes HMAC-SHA-1/256/512 as RFC 2202 and RFC 4231 test case 2 say", () => {
    const key = utf8("Jefe");
    const data = utf8("what do ya want for nothing?");
    expect(toHex(crypto.hmac("sha1", key, data))).toBe("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    expect(toHex(crypto.hmac("sha256", key, data))).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
    expect(toHex(crypto.hmac("sha512", key, data))).toBe(
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    );
  });

  it("computes SHA-256 of UTF-8 text as unpadded base64url (FIPS 180-2 vectors)", () => {
    expect(crypto.sha256("abc")).toBe("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    expect(crypto.sha256("")).toBe("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    expect(crypto.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      toBase64Url(hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")),
    );
  });

  it("returns the requested number of random bytes, different each time", () => {
    const a = crypto.randomBytes(32);
    const b = crypto.randomBytes(32);
    expect(a).toHaveLength(32);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(crypto.randomBytes(70_000)).toHaveLength(70_000);
  });

  it("compares bytes for equality, whatever their lengths", () => {
    expect(crypto.timingSafeEqual(utf8("abc"), utf8("abc"))).toBe(true);
    expect(crypto.timingSafeEqual(utf8("abc"), utf8("abd"))).toBe(false);
    expect(crypto.timingSafeEqual(utf8("abc"), utf8("abcd"))).toBe(false);
    expect(crypto.timingSafeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it("opens what it sealed, and nothing sealed under another key or context", async () => {
    const key = crypto.randomBytes(32);
    const sealed = await crypto.seal(key, utf8("JBSWY3DPEHPK3PXP"), utf8("user\nf1"));
    expect(sealed.length).toBe(12 + 16 + 16);
    expect(await crypto.open(key, sealed, utf8("user\nf1"))).toEqual(utf8("JBSWY3DPEHPK3PXP"));
    expect(await crypto.open(crypto.randomBytes(32), sealed, utf8("user\nf1"))).toBeNull();
    expect(await crypto.open(key, sealed, utf8("user\nf2"))).toBeNull();
    const tampered = Uint8Array.from(sealed);
    tampered[20] = tampered[20]! ^ 1;
    expect(await crypto.open(key, tampered, utf8("user\nf1"))).toBeNull();
    expect(await crypto.open(key, sealed.subarray(0, 20), utf8("user\nf1"))).toBeNull();
  });

  it("uses a fresh IV for every seal", async () => {
    const key = crypto.randomBytes(32);
    const a = await crypto.seal(key, utf8("same"), utf8(""));
    const b = await crypto.seal(key, utf8("same"), utf8(""));
    expect(toHex(a)).not.toBe(toHex(b));
  });
});

describe("the two crypto implementations", () => {
  it("compute the same HMACs for any key and data", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("sha1", "sha256", "sha512" as const),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 300 }),
        (alg, key, data) => {
          expect(toHex(portableCrypto.hmac(alg, key, data))).toBe(
            toHex(nodeCrypto.hmac(alg, key, data)),
          );
        },
      ),
    );
  });

  it("compute the same SHA-256 for any text, non-ASCII included", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (text) => {
        expect(portableCrypto.sha256(text)).toBe(nodeCrypto.sha256(text));
        expect(nodeCrypto.sha256(text)).toBe(
          createHash("sha256").update(text, "utf8").digest("base64url"),
        );
      }),
    );
  });

  it("open each other's sealed values, so servers of both kinds can share a store", async () => {
    const key = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    const byNode = await nodeCrypto.seal(key, utf8("secret"), utf8("ctx"));
    const byPortable = await portableCrypto.seal(key, utf8("secret"), utf8("ctx"));
    expect(await portableCrypto.open(key, byNode, utf8("ctx"))).toEqual(utf8("secret"));
    expect(await nodeCrypto.open(key, byPortable, utf8("ctx"))).toEqual(utf8("secret"));
  });
});

describe("base64 helpers", () => {
  it("round-trip any bytes through unpadded base64url", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(text).toBe(Buffer.from(bytes).toString("base64url"));
        expect(fromBase64(text)).toEqual(bytes);
      }),
    );
  });

  it("read standard padded base64 as well", () => {
    expect(fromBase64(Buffer.alloc(32, 7).toString("base64"))).toEqual(new Uint8Array(32).fill(7));
  });

  it("return null for anything that is not base64, never throwing", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = fromBase64(s);
        if (out !== null) expect(s.replace(/=+$/, "")).toMatch(/^[A-Za-z0-9+/_-]*$/);
      }),
    );
    expect(fromBase64("ab$d")).toBeNull();
    expect(fromBase64("abcde")).toBeNull();
  });
});
