import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyString, token } from "./fuzz.testkit";
import { type AuthChallenge, parseWwwAuthenticate } from "./wwwAuthenticate";

// Plain objects are easier to compare than the prototype-less `params` the parser returns.
const plain = (challenges: AuthChallenge[]) =>
  challenges.map((c) => ({ ...c, params: { ...c.params } }));

describe("parseWwwAuthenticate", () => {
  it("reads the two challenges of the RFC 9110 §11.6.1 example", () => {
    const value =
      'Newauth realm="apps", type=1,\r\n                  title="Login to \\"apps\\"", Basic realm="simple"';
    expect(plain(parseWwwAuthenticate(value))).toEqual([
      { scheme: "Newauth", params: { realm: "apps", type: "1", title: 'Login to "apps"' } },
      { scheme: "Basic", params: { realm: "simple" } },
    ]);
  });

  it("reads the RFC 6750 §3 examples", () => {
    expect(plain(parseWwwAuthenticate('Bearer realm="example"'))).toEqual([
      { scheme: "Bearer", params: { realm: "example" } },
    ]);
    const expired =
      'Bearer realm="example",\n error="invalid_token",\n error_description="The access token expired"';
    expect(plain(parseWwwAuthenticate(expired))).toEqual([
      {
        scheme: "Bearer",
        params: {
          realm: "example",
          error: "invalid_token",
          error_description: "The access token expired",
        },
      },
    ]);
  });

  it("reads a token68 and tells it from an auth-param", () => {
    expect(plain(parseWwwAuthenticate("Negotiate a87421000492aa874209af8bc028"))).toEqual([
      { scheme: "Negotiate", token68: "a87421000492aa874209af8bc028", params: {} },
    ]);
    expect(parseWwwAuthenticate("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")[0]?.token68).toBe(
      "QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
    );
    // `realm=` with nothing after it is a token68 ending in "=", not a parameter without a value
    expect(parseWwwAuthenticate("Custom realm=")[0]?.token68).toBe("realm=");
    expect(parseWwwAuthenticate("Custom realm=x")[0]?.params.realm).toBe("x");
  });

  it("reads several token68 challenges and parameter challenges in one value", () => {
    expect(plain(parseWwwAuthenticate('Negotiate abc==, Basic realm="x", NTLM'))).toEqual([
      { scheme: "Negotiate", token68: "abc==", params: {} },
      { scheme: "Basic", params: { realm: "x" } },
      { scheme: "NTLM", params: {} },
    ]);
  });

  it("unescapes quoted pairs and keeps commas and semicolons inside quoted strings", () => {
    const [challenge] = parseWwwAuthenticate(String.raw`X a="1, 2; \"3\" \\ \z", b=c`);
    expect({ ...challenge?.params }).toEqual({ a: '1, 2; "3" \\ z', b: "c" });
  });

  it("accepts whitespace around = and , and skips empty list elements", () => {
    expect(plain(parseWwwAuthenticate(' ,, Basic  realm = "x" ,\t, charset =UTF-8 ,,'))).toEqual([
      { scheme: "Basic", params: { realm: "x", charset: "UTF-8" } },
    ]);
    expect(parseWwwAuthenticate(", ,")).toEqual([]);
  });

  it("lower-cases parameter names, keeps the scheme as sent and the first of a repeated name", () => {
    const [challenge] = parseWwwAuthenticate('BEARER Realm="a", REALM="b", Error=x');
    expect(challenge?.scheme).toBe("BEARER");
    expect({ ...challenge?.params }).toEqual({ realm: "a", error: "x" });
  });

  it("stores __proto__ and other Object.prototype names as ordinary parameters", () => {
    const [challenge] = parseWwwAuthenticate(
      'Bearer __proto__="polluted", constructor=x, toString=y, hasOwnProperty=z',
    );
    const params = challenge!.params;
    expect(Object.getPrototypeOf(params)).toBeNull();
    expect(Object.keys(params)).toEqual(["__proto__", "constructor", "tostring", "hasownproperty"]);
    expect(Object.getOwnPropertyDescriptor(params, "__proto__")?.value).toBe("polluted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("ends a challenge at an element it cannot read instead of misattributing what follows", () => {
    // `Bad{scheme` is not a token: its `error` must not end up in the Bearer challenge.
    const value = 'Bearer realm="a", Bad{scheme error="insufficient_user_authentication"';
    expect(plain(parseWwwAuthenticate(value))).toEqual([
      { scheme: "Bearer", params: { realm: "a" } },
    ]);
    // nor may parameters follow a token68
    expect(plain(parseWwwAuthenticate("Negotiate abc, realm=x"))).toEqual([
      { scheme: "Negotiate", token68: "abc", params: {} },
    ]);
  });

  // RFC 9110 §11.6.1: challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ].
  it("ends a challenge at the comma right after its scheme", () => {
    expect(plain(parseWwwAuthenticate('Basic, realm="foo"'))).toEqual([
      { scheme: "Basic", params: {} },
    ]);
    expect(plain(parseWwwAuthenticate('Basic,realm="foo", Bearer error="x"'))).toEqual([
      { scheme: "Basic", params: {} },
      { scheme: "Bearer", params: { error: "x" } },
    ]);
    expect(plain(parseWwwAuthenticate('Basic\t, realm="foo"'))).toEqual([
      { scheme: "Basic", params: {} },
    ]);
    // with SP after the scheme the auth-param list has started: an empty element, then realm
    expect(plain(parseWwwAuthenticate('Basic , realm="foo"'))).toEqual([
      { scheme: "Basic", params: { realm: "foo" } },
    ]);
  });

  it("takes only SP between the scheme and its parameters", () => {
    expect(parseWwwAuthenticate('Bearer\trealm="a"')).toEqual([]);
    expect(parseWwwAuthenticate("Negotiate\tabc==")).toEqual([]);
    expect(plain(parseWwwAuthenticate('Bearer\trealm="a", Basic realm="b"'))).toEqual([
      { scheme: "Basic", params: { realm: "b" } },
    ]);
    expect(plain(parseWwwAuthenticate('Bearer   realm="a"'))).toEqual([
      { scheme: "Bearer", params: { realm: "a" } },
    ]);
  });

  it("reads the challenges before and after garbage", () => {
    const value = 'Basic realm="a", @@@, ="x", Bearer error=oops';
    expect(plain(parseWwwAuthenticate(value))).toEqual([
      { scheme: "Basic", params: { realm: "a" } },
      { scheme: "Bearer", params: { error: "oops" } },
    ]);
  });

  it("gives [] for garbage, unterminated quotes and anything that is not a string", () => {
    for (const value of ['"', 'Bearer realm="unterminated', "=", "a=b=c", "", null, undefined]) {
      expect(parseWwwAuthenticate(value)).toEqual([]);
    }
    expect(parseWwwAuthenticate(42 as unknown as string)).toEqual([]);
  });

  it("never throws, and only returns token schemes with lower-case parameter names", () => {
    fc.assert(
      fc.property(anyString, (value) => {
        for (const { scheme, params } of parseWwwAuthenticate(value)) {
          expect(scheme).toMatch(/^[\w!#$%&'*+.^`|~-]+$/);
          for (const name of Object.keys(params)) expect(name).toBe(name.toLowerCase());
        }
      }),
    );
  });

  it("reads back any list of challenges written per the grammar", () => {
    const quotable = fc.string({ unit: fc.constantFrom(...' \t!"#,;=\\aZ09~') });
    const challenge = fc.oneof(
      fc.record({ scheme: token, token68: fc.stringMatching(/^[\w~+/.-]{1,10}=*$/) }),
      fc.record({
        scheme: token,
        params: fc.uniqueArray(fc.tuple(token, fc.oneof(token, quotable), fc.boolean()), {
          selector: ([name]) => name.toLowerCase(),
          maxLength: 4,
        }),
      }),
    );
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 4 }), (challenges) => {
        const field = challenges
          .map((c) => {
            if ("token68" in c) return `${c.scheme} ${c.token68}`;
            const params = c.params.map(([name, value, spaced]) => {
              const quoted = `"${value.replace(/["\\]/g, "\\$&")}"`;
              return `${name}${spaced ? " = " : "="}${/^[\w!#$%&'*+.^`|~-]+$/.test(value) ? value : quoted}`;
            });
            return [c.scheme, params.join(" ,  ")].join(" ");
          })
          .join(" , ");
        expect(plain(parseWwwAuthenticate(field))).toEqual(
          challenges.map((c) =>
            "token68" in c
              ? { scheme: c.scheme, token68: c.token68, params: {} }
              : {
                  scheme: c.scheme,
                  params: Object.fromEntries(c.params.map(([n, v]) => [n.toLowerCase(), v])),
                },
          ),
        );
      }),
    );
  });

  it("reads a long adversarial value", () => {
    const long = `Bearer a="${"\\".repeat(50_000)}, ${"a ".repeat(50_000)}${"=".repeat(50_000)}`;
    expect(() => parseWwwAuthenticate(long)).not.toThrow();
    expect(parseWwwAuthenticate(`${"x, ".repeat(10_000)}Basic realm=y`)).toHaveLength(10_001);
  });
});
