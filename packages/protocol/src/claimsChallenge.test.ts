import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { INSUFFICIENT_CLAIMS, parseClaimsChallenge } from "./claimsChallenge";
import { anyString } from "./fuzz.testkit";

const b64url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/=+$/, "")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");

describe("parseClaimsChallenge", () => {
  it("reads the Conditional Access challenge of the Microsoft identity platform", () => {
    // The example of "Claims challenges, claims requests and client capabilities" (base64, padded).
    const value =
      'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ' +
      'client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", ' +
      'claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiYzEifX19"';
    expect(parseClaimsChallenge(value)).toStrictEqual({
      claims: { access_token: { acrs: { essential: true, value: "c1" } } },
      claimsJson: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}',
    });
  });

  it("reads base64url with non-ASCII text, an error_description, and response headers", () => {
    const json = '{"id_token":{"name":{"value":"Zoë/?>"}}}';
    const headers = new Headers({
      "WWW-Authenticate": `Bearer error="${INSUFFICIENT_CLAIMS}", error_description="more", claims="${b64url(json)}"`,
    });
    expect(parseClaimsChallenge(headers)).toStrictEqual({
      claims: { id_token: { name: { value: "Zoë/?>" } } },
      claimsJson: json,
      errorDescription: "more",
    });
    expect(b64url(json)).toMatch(/[-_]/);
  });

  it("finds the claims challenge after other challenges", () => {
    const value = `Basic realm="x", Bearer error="insufficient_claims", claims="${b64url("{}")}"`;
    expect(parseClaimsChallenge(value)?.claims).toStrictEqual({});
  });

  it("is null for other errors, missing or undecodable claims, and non-object JSON", () => {
    for (const value of [
      undefined,
      null,
      "",
      'Bearer error="invalid_token"',
      'Bearer error="insufficient_user_authentication", acr_values="mfa"',
      'Bearer error="insufficient_claims"',
      'Bearer error="insufficient_claims", claims="%%%"',
      'Bearer error="insufficient_claims", claims="A"',
      `Bearer error="insufficient_claims", claims="${b64url("[1]")}"`,
      `Bearer error="insufficient_claims", claims="${b64url("null")}"`,
      `Bearer error="insufficient_claims", claims="${b64url("{not json")}"`,
      'Bearer error="insufficient_claims", claims="_w"', // 0xff: not UTF-8
      `Basic error="insufficient_claims", claims="${b64url("{}")}"`,
    ]) {
      expect(parseClaimsChallenge(value), String(value)).toBeNull();
    }
  });

  it("never throws, and decodes any JSON object it is given back to the same value", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const out = parseClaimsChallenge(`Bearer error="insufficient_claims", claims="${s}"`);
        expect(out === null || typeof out.claims === "object").toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (claims) => {
        const json = JSON.stringify(claims);
        const out = parseClaimsChallenge(
          `Bearer error=insufficient_claims, claims="${b64url(json)}"`,
        );
        expect(out?.claimsJson).toBe(json);
        expect(out?.claims).toStrictEqual(JSON.parse(json));
      }),
    );
  });
});
