import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatBase32ForDisplay, normalizeBase32 } from "./base32";
import { anyString } from "./fuzz.testkit";

const base32 = fc.string({
  unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
  minLength: 1,
});

describe("normalizeBase32", () => {
  it("strips spaces, tabs, line breaks, hyphens and padding and upper-cases", () => {
    expect(normalizeBase32("jbsw y3dp-ehpk 3pxp")).toBe("JBSWY3DPEHPK3PXP");
    expect(normalizeBase32(" JBSW\tY3DP\nEHPK\u00a03PXP ")).toBe("JBSWY3DPEHPK3PXP");
    expect(normalizeBase32("MZXW6===")).toBe("MZXW6");
    expect(normalizeBase32("MZXW 6=== ")).toBe("MZXW6");
  });

  it("names the first bad character and its position in the input as typed", () => {
    // position 14 counts the spaces the user typed (the cleaned-up secret has it at 12)
    expect(() => normalizeBase32("jbsw y3dp ehp! 3pxp")).toThrow(
      'Invalid base32 character "!" at position 14; base32 uses only A-Z and 2-7.',
    );
  });

  it("suggests the letter a look-alike digit stands for", () => {
    expect(() => normalizeBase32("JBSW0")).toThrow(/"0" at position 5 \(did you mean O\?\)/);
    expect(() => normalizeBase32("1BSW")).toThrow(/"1" at position 1 \(did you mean I or L\?\)/);
    expect(() => normalizeBase32("JB8W")).toThrow(/"8" at position 3 \(did you mean B\?\)/);
    expect(() => normalizeBase32("JB9W")).toThrow(/"9" at position 3; base32/);
  });

  it("rejects = anywhere but in the trailing padding", () => {
    expect(() => normalizeBase32("MZ=XW")).toThrow(/"=" at position 3/);
    expect(() => normalizeBase32("=MZXW")).toThrow(/"=" at position 1/);
  });

  it("names invisible and non-ASCII characters readably", () => {
    expect(() => normalizeBase32("JBSW\u200bY3DP")).toThrow(/at position 5/);
    expect(() => normalizeBase32("JBSW\u0000")).toThrow(/"\\u0000" at position 5/);
    expect(() => normalizeBase32("JBSW😀")).toThrow(/"😀" at position 5/);
    // Unicode letters that upper-case into A-Z are not base32 either
    expect(() => normalizeBase32("ſ")).toThrow(/"ſ" at position 1/);
    expect(() => normalizeBase32("ı")).toThrow(/"ı" at position 1/);
  });

  it("says so when the secret is empty, blank or not a string", () => {
    for (const input of ["", "  ", "- -", "===", undefined, null, 42]) {
      expect(() => normalizeBase32(input as string)).toThrow("Base32 secret is empty.");
    }
  });

  it("returns base32 or throws an Error naming the problem, for any input", () => {
    fc.assert(
      fc.property(anyString, (input) => {
        let out: string;
        try {
          out = normalizeBase32(input);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(
            /^(Invalid base32 character .+ at position \d+|Base32 secret is empty\.)/s,
          );
          return;
        }
        expect(out).toMatch(/^[A-Z2-7]+$/);
        expect(normalizeBase32(out)).toBe(out);
      }),
    );
  });
});

describe("formatBase32ForDisplay", () => {
  it("groups the secret in fours", () => {
    expect(formatBase32ForDisplay("JBSWY3DPEHPK3PXP")).toBe("JBSW Y3DP EHPK 3PXP");
    expect(formatBase32ForDisplay("jbswy3dpe")).toBe("JBSW Y3DP E");
    expect(formatBase32ForDisplay("ABCD")).toBe("ABCD");
  });

  it("shows what it is given without throwing, so a screen rendering a secret cannot fail", () => {
    expect(formatBase32ForDisplay("jbsw-y3dp ehpk=")).toBe("JBSW Y3DP EHPK");
    expect(formatBase32ForDisplay("AB0CD1EF")).toBe("AB0C D1EF");
    expect(formatBase32ForDisplay("")).toBe("");
  });

  it("is read back by normalizeBase32", () => {
    fc.assert(
      fc.property(base32, (secret) => {
        const shown = formatBase32ForDisplay(secret);
        expect(shown).toMatch(/^([A-Z2-7]{4} )*[A-Z2-7]{1,4}$/);
        expect(normalizeBase32(shown)).toBe(secret);
      }),
    );
  });
});
