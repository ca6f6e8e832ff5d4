import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createOrigins, pageUrl } from "./origins";

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

  it("allows baseUrl's origin too, and origins added later, past a cached refusal", () => {
    const o = createOrigins(["https://a.test"], "https://api.b.test/v1/");
    expect(o.allows_("https://api.b.test/me")).toBe(true);
    expect(o.allows_("https://c.test/me")).toBe(false);
    o.add_("https://c.test/anything");
    expect(o.allows_("https://c.test/me")).toBe(true);
    // not strict: a bad URL is ignored; strict: named
    expect(() => o.add_("http://[::1")).not.toThrow();
    expect(() => o.add_("http://[::1", true)).toThrow(
      new TypeError('Not a valid origin: "http://[::1".'),
    );
  });

  it("answers the same for a URL asked again, however many were asked in between", () => {
    const o = createOrigins(["https://a.test"], undefined);
    for (let i = 0; i < 300; i++) expect(o.allows_(`https://h${i}.test/`)).toBe(false);
    expect(o.allows_("https://a.test/x")).toBe(true);
    expect(o.allows_("https://h1.test/")).toBe(false);
  });
});

describe("pageUrl and the page's origin", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("is the page's http(s) address, and the default origin", () => {
    vi.stubGlobal("location", { href: "https://app.example.com/settings" });
    expect(pageUrl()).toBe("https://app.example.com/settings");
    const o = createOrigins(undefined, undefined);
    expect(o.allows_("/mfa/verify")).toBe(true);
    expect(o.allows_("https://app.example.com/x")).toBe(true);
    expect(o.allows_("https://api.example.com/x")).toBe(false);
  });

  it("is undefined outside a web page", () => {
    vi.stubGlobal("location", { href: "file:///index.html" });
    expect(pageUrl()).toBeUndefined();
    vi.stubGlobal("location", { href: 5 });
    expect(pageUrl()).toBeUndefined();
    vi.stubGlobal("location", undefined);
    expect(pageUrl()).toBeUndefined();
  });
});
