import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createOrigins } from "./origins";

describe("createOrigins", () => {
  const origins = createOrigins(["https://api.example.com", "http://localhost:8080"], undefined);

  it("allows exactly the listed origins for absolute URLs", () => {
    expect(origins.allows_("https://api.example.com/me")).toBe(true);
    expect(origins.allows_("https://API.example.com:443/me?x=1")).toBe(true);
    expect(origins.allows_("http://localhost:8080")).toBe(true);
    expect(origins.allows_("http://api.example.com/me")).toBe(false);
    expect(origins.allows_("https://api.example.com:8443/me")).toBe(false);
    expect(origins.allows_("https://api.example.com.evil.org/me")).toBe(false);
  });

  it("is not fooled by user info, backslashes or a scheme-relative URL", () => {
    expect(origins.allows_("https://api.example.com@evil.org/me")).toBe(false);
    expect(origins.allows_("https://evil.org\\@api.example.com/me")).toBe(false);
    expect(origins.allows_("https://evil.org#@api.example.com/")).toBe(false);
    expect(origins.allows_("https://evil.org?@api.example.com/")).toBe(false);
    expect(origins.allows_("//evil.org/me", "https://api.example.com")).toBe(false);
  });

  it("judges a relative URL by its base", () => {
    expect(origins.allows_("/me", "https://api.example.com/v1")).toBe(true);
    expect(origins.allows_("me?next=https://evil.org/", "https://api.example.com")).toBe(true);
    expect(origins.allows_("/me", "https://evil.org")).toBe(false);
    expect(origins.allows_("/me", undefined)).toBe(false); // no page to resolve against in Node
  });

  it("agrees with the URL parser on the origin of any web URL", () => {
    const allowed = ["https://api.example.com", "http://a.b"];
    const o = createOrigins(allowed, undefined);
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        expect(o.allows_(url)).toBe(allowed.includes(new URL(url).origin));
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...allowed), fc.webPath(), (origin, path) => {
        expect(o.allows_(origin + path)).toBe(true);
      }),
    );
  });

  it("rejects an origin that is not a URL", () => {
    expect(() => createOrigins(["not a url"], undefined)).toThrow(TypeError);
  });
});
