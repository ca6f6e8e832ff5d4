import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyString, rfc6750Text } from "./fuzz.testkit";
import {
  formatStepUpChallenge,
  INSUFFICIENT_USER_AUTHENTICATION,
  parseStepUpChallenge,
  type StepUpChallenge,
} from "./stepUp";

describe("parseStepUpChallenge", () => {
  it("reads the acr_values example of RFC 9470 §3", () => {
    const value = `Bearer error="insufficient_user_authentication",
  error_description="A different authentication level is required",
  acr_values="myACR"`;
    expect(parseStepUpChallenge(value)).toStrictEqual({
      acrValues: ["myACR"],
      errorDescription: "A different authentication level is required",
    });
  });

  it("reads the max_age example of RFC 9470 §3, sent as a quoted string", () => {
    const value = `Bearer error="insufficient_user_authentication",
  error_description="More recent authentication is required",
  max_age="5"`;
    expect(parseStepUpChallenge(value)).toStrictEqual({
      acrValues: [],
      maxAge: 5,
      errorDescription: "More recent authentication is required",
    });
  });

  it("reads max_age sent as a token, acr_values in order of preference, and scope", () => {
    expect(
      parseStepUpChallenge(
        'Bearer error=insufficient_user_authentication, acr_values="phr  mfa pwd", max_age=0, scope="mfa:manage"',
      ),
    ).toStrictEqual({ acrValues: ["phr", "mfa", "pwd"], maxAge: 0, scope: "mfa:manage" });
  });

  it("ignores a max_age that is not a non-negative integer of at most 15 digits", () => {
    for (const maxAge of [
      '"-5"',
      "-5",
      "1.5",
      '"5 "',
      '""',
      "1e3",
      "0x10",
      "1234567890123456",
      "+5",
    ]) {
      const challenge = parseStepUpChallenge(
        `Bearer error="insufficient_user_authentication", max_age=${maxAge}`,
      );
      expect(challenge).toStrictEqual({ acrValues: [] });
    }
  });

  it("finds the step-up challenge among others and compares the scheme case-insensitively", () => {
    const value =
      'Basic realm="x", Bearer error="invalid_token", bEaReR error="insufficient_user_authentication", max_age=30';
    expect(parseStepUpChallenge(value)).toStrictEqual({ acrValues: [], maxAge: 30 });
  });

  it("returns null without a Bearer insufficient_user_authentication challenge", () => {
    for (const value of [
      'Bearer error="invalid_token"',
      'Basic error="insufficient_user_authentication"',
      'Bearer error="INSUFFICIENT_USER_AUTHENTICATION"', // error codes are case-sensitive (RFC 6750)
      "Bearer insufficient_user_authentication",
      "",
      null,
      undefined,
    ]) {
      expect(parseStepUpChallenge(value)).toBeNull();
    }
  });

  it("reads the WWW-Authenticate field of a Headers object or a plain header record", () => {
    const field = 'Bearer error="insufficient_user_authentication", acr_values="mfa"';
    expect(parseStepUpChallenge(new Headers({ "WWW-Authenticate": field }))).toStrictEqual({
      acrValues: ["mfa"],
    });
    expect(parseStepUpChallenge({ "WWW-Authenticate": field })).toStrictEqual({
      acrValues: ["mfa"],
    });
    expect(parseStepUpChallenge(new Headers())).toBeNull();
  });

  it("never throws on arbitrary strings", () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const challenge = parseStepUpChallenge(
          `Bearer error="insufficient_user_authentication", ${value}`,
        );
        if (challenge?.maxAge !== undefined)
          expect(Number.isSafeInteger(challenge.maxAge)).toBe(true);
        parseStepUpChallenge(value);
      }),
    );
  });
});

describe("formatStepUpChallenge", () => {
  it("formats what RFC 9470 shows, every value quoted", () => {
    expect(formatStepUpChallenge({ acrValues: ["mfa", "phr"], maxAge: 300 })).toBe(
      'Bearer error="insufficient_user_authentication", acr_values="mfa phr", max_age="300"',
    );
    expect(formatStepUpChallenge()).toBe(`Bearer error="${INSUFFICIENT_USER_AUTHENTICATION}"`);
  });

  it("floors maxAge, sends 0 for a negative one and leaves out NaN, Infinity and 10^15", () => {
    const maxAgeOf = (maxAge: number) =>
      parseStepUpChallenge(formatStepUpChallenge({ maxAge }))?.maxAge;
    expect(maxAgeOf(299.9)).toBe(299);
    expect(maxAgeOf(-1)).toBe(0);
    expect(maxAgeOf(-Infinity)).toBe(0);
    expect(maxAgeOf(Number.NaN)).toBeUndefined();
    expect(maxAgeOf(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(maxAgeOf(1e15)).toBeUndefined();
    expect(maxAgeOf(1e15 - 1)).toBe(1e15 - 1);
  });

  // Header injection: a description (often from user-facing config) must never add a header.
  it("never emits CR, LF or a character RFC 6750 forbids, whatever it is given", () => {
    const value = formatStepUpChallenge({
      errorDescription: 'a\r\nSet-Cookie: x=1\n"quoted" \\ é\u0000',
      acrValues: ["ok", 'bad"\r\n'],
      scope: "\u2028",
    });
    expect(value).toBe(
      'Bearer error="insufficient_user_authentication", error_description="a??Set-Cookie: x=1??quoted? ? ??", acr_values="ok bad???", scope="?"',
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            acrValues: fc.array(anyString),
            maxAge: fc.double(),
            errorDescription: anyString,
            scope: anyString,
          },
          { requiredKeys: [] },
        ),
        (challenge) => {
          const header = formatStepUpChallenge(challenge);
          expect(header).toMatch(/^[\x20-\x7e]*$/);
          expect(parseStepUpChallenge(header)).not.toBeNull();
        },
      ),
    );
  });

  it("is read back unchanged for every representable challenge", () => {
    const acrValue = fc
      .string({ unit: fc.constantFrom(..."!#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~"), minLength: 1 })
      .filter((v) => !v.includes(" "));
    const challenge = fc.record(
      {
        acrValues: fc.array(acrValue, { maxLength: 4 }),
        maxAge: fc.integer({ min: 0, max: 1e15 - 1 }),
        errorDescription: rfc6750Text,
        scope: rfc6750Text,
      },
      { requiredKeys: ["acrValues"] },
    );
    fc.assert(
      fc.property(challenge, (input: StepUpChallenge) => {
        expect(parseStepUpChallenge(formatStepUpChallenge(input))).toStrictEqual({ ...input });
      }),
    );
  });
});
