import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import { describe, expect, it } from "vitest";
import { fromUtf8, utf8 } from "../crypto/encoding";
import { nodeCrypto } from "../crypto/node";
import { portableCrypto } from "../crypto/portable";
import { KEYS } from "../testing/fixtures";
import { createKeyRing } from "./keyRing";

describe("createKeyRing", () => {
  it("seals under the current key id and opens the value again", async () => {
    const ring = createKeyRing({ current: "k1", keys: KEYS }, nodeCrypto);
    const sealed = await ring.seal(utf8("JBSWY3DPEHPK3PXP"), "alice/f1");
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
    const opened = await ring.open(sealed, "alice/f1");
    expect(opened && fromUtf8(opened.plaintext)).toBe("JBSWY3DPEHPK3PXP");
    expect(opened?.stale).toBe(false);
  });

  it("opens a value sealed with an older key and flags it for re-sealing", async () => {
    const before = createKeyRing({ current: "k1", keys: { k1: KEYS.k1 } }, nodeCrypto);
    const after = createKeyRing({ current: "k2", keys: KEYS }, portableCrypto);
    const sealed = await before.seal(utf8("secret"), "ctx");
    expect(await after.open(sealed, "ctx")).toMatchObject({ keyId: "k1", stale: true });
    expect(await after.seal(utf8("secret"), "ctx")).toMatch(/^v1\.k2\./);
  });

  it("refuses a value under a retired key, another context, or altered", async () => {
    const old = createKeyRing({ current: "k1", keys: { k1: KEYS.k1 } }, nodeCrypto);
    const retired = createKeyRing({ current: "k2", keys: { k2: KEYS.k2 } }, nodeCrypto);
    const sealed = await old.seal(utf8("secret"), "ctx");
    expect(await retired.open(sealed, "ctx")).toBeNull();
    expect(await old.open(sealed, "other")).toBeNull();
    expect(await old.open(`${sealed.slice(0, -2)}AA`, "ctx")).toBeNull();
    expect(await old.open("v2.k1.AAAA", "ctx")).toBeNull();
    expect(await old.open("garbage", "ctx")).toBeNull();
    // A value re-labelled with another key id does not open either: the id is authenticated.
    const relabelled = sealed.replace("v1.k1.", "v1.k2.");
    const both = createKeyRing({ current: "k1", keys: KEYS }, nodeCrypto);
    expect(await both.open(relabelled, "ctx")).toBeNull();
  });

  it("derives stable per-purpose keys from a key id", () => {
    const ring = createKeyRing({ current: "k1", keys: KEYS }, nodeCrypto);
    const a = ring.derive("contact-code");
    expect(a).toHaveLength(32);
    expect(ring.derive("contact-code", "k1")).toEqual(a);
    expect(ring.derive("contact-code", "k2")).not.toEqual(a);
    expect(ring.derive("other")).not.toEqual(a);
    expect(ring.derive("contact-code", "nope")).toBeNull();
  });

  it("explains a bad configuration with an MfaOptionError", () => {
    expect(() => createKeyRing({ current: "k3", keys: KEYS }, nodeCrypto)).toThrow(/names no key/);
    expect(() => createKeyRing({ current: "k1", keys: { k1: "c2hvcnQ=" } }, nodeCrypto)).toThrow(
      /32 random bytes/,
    );
    expect(() => createKeyRing({ current: "a.b", keys: { "a.b": KEYS.k1 } }, nodeCrypto)).toThrow(
      /key id/,
    );
    expect(() => createKeyRing(null as never, nodeCrypto)).toThrow(MfaOptionError);
  });
});
