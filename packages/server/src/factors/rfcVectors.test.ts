import hotpVectors from "@mfa-kit/test-utils/vectors/rfc4226-hotp.json";
import totpVectors from "@mfa-kit/test-utils/vectors/rfc6238-totp.json";
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../crypto/encoding";
import { nodeCrypto } from "../crypto/node";
import { portableCrypto } from "../crypto/portable";
import type { HashAlgorithm, MfaCrypto } from "../crypto/types";
import { hotp, normalizeCode, scanHotp } from "./hotp";
import { matchTotpStep, totp } from "./totp";

const seeds = totpVectors.seeds as Record<string, { ascii: string }>;

describe.each<[string, MfaCrypto]>([
  ["portable", portableCrypto],
  ["node", nodeCrypto],
])("RFC vectors with the %s crypto", (_name, crypto) => {
  it("passes every RFC 4226 Appendix D HOTP vector, HMAC included", () => {
    const key = utf8(hotpVectors.secretAscii);
    for (const v of hotpVectors.vectors) {
      expect(toHex(crypto.hmac("sha1", key, counterBytes(v.counter)))).toBe(
        v.hmacHex.toLowerCase(),
      );
      expect(hotp(crypto, "sha1", key, v.counter, 6)).toBe(v.hotp);
    }
  });

  it.each(totpVectors.vectors.map((v) => [v.algorithm, v.time, v] as const))(
    "passes the RFC 6238 %s vector at t=%i s, 6 and 8 digits",
    (algorithm, time, v) => {
      const alg = algorithm.toLowerCase() as HashAlgorithm;
      const key = utf8(seeds[algorithm]!.ascii);
      expect(Math.floor(time / totpVectors.period)).toBe(v.step);
      expect(totp(crypto, alg, key, time, totpVectors.period, 8)).toBe(v.totp8);
      expect(totp(crypto, alg, key, time, totpVectors.period, 6)).toBe(v.totp6);
    },
  );
});

describe("hotp past 2^32", () => {
  // RFC 4226 §5.3 from the HMAC itself (BigInt counter bytes), for counters whose high word is set.
  const reference = (key: Uint8Array, counter: number, digits: number) => {
    const mac = nodeCrypto.hmac("sha1", key, counterBytes(counter));
    const offset = mac[19]! & 0x0f;
    const binary = new DataView(mac.buffer, mac.byteOffset).getUint32(offset) & 0x7fffffff;
    return String(binary % 10 ** digits).padStart(digits, "0");
  };

  it("puts every byte of the high word of the counter in the message", () => {
    const key = utf8(hotpVectors.secretAscii);
    for (const counter of [
      2 ** 32,
      2 ** 32 + 1,
      0x01_02_03_04 * 2 ** 32 + 0x05_06_07_08,
      0xff_ff * 2 ** 32 + 0xff_ff_ff_ff,
      0x1f_ff_ff * 2 ** 32 + 0x8000_0000,
      Number.MAX_SAFE_INTEGER,
    ]) {
      expect(hotp(nodeCrypto, "sha1", key, counter, 8)).toBe(reference(key, counter, 8));
      expect(hotp(nodeCrypto, "sha1", key, counter, 6)).toBe(reference(key, counter, 6));
    }
  });
});

function counterBytes(counter: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(counter));
  return out;
}

describe("the RFC 6238 vectors", () => {
  it("include times past 2^31 seconds (beyond 2038)", () => {
    expect(totpVectors.vectors.some((v) => v.time > 2 ** 31)).toBe(true);
  });
});

describe("matchTotpStep", () => {
  const key = utf8(seeds.SHA1!.ascii);
  const at = (step: number) => totp(nodeCrypto, "sha1", key, step * 30, 30, 6);

  it("finds the code of the expected step and of the steps within the window", () => {
    for (const d of [-1, 0, 1]) {
      expect(matchTotpStep(nodeCrypto, "sha1", key, at(1000 + d), 1000, 1, 6)).toBe(1000 + d);
    }
  });

  it("refuses a code two steps away with a window of one", () => {
    expect(matchTotpStep(nodeCrypto, "sha1", key, at(1002), 1000, 1, 6)).toBeNull();
    expect(matchTotpStep(nodeCrypto, "sha1", key, at(998), 1000, 1, 6)).toBeNull();
    expect(matchTotpStep(nodeCrypto, "sha1", key, at(1002), 1000, 2, 6)).toBe(1002);
  });
});

describe("scanHotp", () => {
  const key = utf8(hotpVectors.secretAscii);
  const codes = hotpVectors.vectors.map((v) => v.hotp);
  const scan = (code: number, counter: number, resyncWindow: number) =>
    scanHotp(nodeCrypto, "sha1", key, codes[code]!, counter, 6, 2, resyncWindow);

  it("matches within the look-ahead, flags resync candidates beyond it, and spots codes behind", () => {
    expect(scan(3, 1, 100)).toEqual({ match: 3, ahead: [], behind: false });
    expect(scan(9, 1, 100)).toEqual({ ahead: [9], behind: false });
    // The window ends one past resyncWindow (the second code of a pair): 9 is beyond 1 + 5 + 1.
    expect(scan(9, 1, 5)).toEqual({ ahead: [], behind: false });
    expect(scan(7, 1, 5)).toEqual({ ahead: [7], behind: false });
    expect(scan(4, 5, 100)).toEqual({ ahead: [], behind: true });
  });
});

describe("normalizeCode", () => {
  it("accepts digits with spaces or hyphens and refuses anything else", () => {
    expect(normalizeCode("123 456", 6)).toBe("123456");
    expect(normalizeCode("123-456", 6)).toBe("123456");
    expect(normalizeCode("12345", 6)).toBeNull();
    expect(normalizeCode("1234567", 6)).toBeNull();
    expect(normalizeCode("12345a", 6)).toBeNull();
    expect(normalizeCode("１２３４５６", 6)).toBeNull();
    expect(normalizeCode(123456, 6)).toBeNull();
    expect(normalizeCode("9".repeat(100), 6)).toBeNull();
  });
});
