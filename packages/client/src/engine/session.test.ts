import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionInfo, sessionPersistence, toSession } from "./session";

describe("toSession", () => {
  it("keeps a verify answer and fills in missing acr and amr", () => {
    expect(toSession({ token: "s", expiresAt: 2, authTime: 1, acr: "mfa", amr: ["otp"] })).toEqual({
      token: "s",
      expiresAt: 2,
      authTime: 1,
      acr: "mfa",
      amr: ["otp"],
    });
    expect(toSession({ token: "s", expiresAt: 2, authTime: 1 })).toMatchObject({
      acr: "",
      amr: [],
    });
  });

  it("turns anything else into null without throwing", () => {
    fc.assert(
      fc.property(fc.anything(), (body) => {
        const s = toSession(body);
        if (s !== null) {
          expect(typeof s.token).toBe("string");
          expect(Number.isFinite(s.expiresAt)).toBe(true);
        }
      }),
    );
    expect(toSession({ token: "", expiresAt: 2, authTime: 1 })).toBeNull();
    expect(toSession({ token: "s", expiresAt: "2", authTime: 1 })).toBeNull();
  });
});

const SESSION = { token: "s", expiresAt: 2, authTime: 1, acr: "mfa", amr: ["otp"] };

describe("sessionInfo", () => {
  it("shows the session without its token, frozen", () => {
    const info = sessionInfo(SESSION);
    expect(info).toEqual({ expiresAt: 2, acr: "mfa", amr: ["otp"], authTime: 1 });
    expect(Object.isFrozen(info)).toBe(true);
  });
});

describe("sessionPersistence", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** A storage over a map. */
  const mapStorage = () => {
    const map = new Map<string, string>();
    return {
      map,
      getItem: (k: string) => map.get(k) ?? null,
      setItem: (k: string, v: string) => void map.set(k, v),
      removeItem: (k: string) => void map.delete(k),
    };
  };

  it("saves, loads and removes the session under its key in the storage given", () => {
    const storage = mapStorage();
    const p = sessionPersistence(storage, "mfa.session");
    expect(p.load_()).toBeNull();
    p.save_(SESSION);
    expect(JSON.parse(storage.map.get("mfa.session")!)).toEqual(SESSION);
    expect(p.load_()).toEqual(SESSION);
    p.save_(null);
    expect(storage.map.has("mfa.session")).toBe(false);
    expect(p.load_()).toBeNull();
  });

  it("uses sessionStorage or localStorage by name, and nothing for memory", () => {
    const session = mapStorage();
    const local = mapStorage();
    vi.stubGlobal("sessionStorage", session);
    vi.stubGlobal("localStorage", local);
    sessionPersistence("sessionStorage", "k").save_(SESSION);
    sessionPersistence("localStorage", "k").save_({ ...SESSION, token: "l" });
    expect(JSON.parse(session.map.get("k")!).token).toBe("s");
    expect(JSON.parse(local.map.get("k")!).token).toBe("l");
    const memory = sessionPersistence("memory", "k");
    memory.save_(SESSION);
    expect(memory.load_()).toBeNull();
    expect(session.map.size + local.map.size).toBe(2);
  });

  it("never throws: an unreadable value loads as null, a failing storage only loses persistence", () => {
    const storage = mapStorage();
    storage.map.set("k", "{not json");
    expect(sessionPersistence(storage, "k").load_()).toBeNull();
    storage.map.set("k", JSON.stringify({ token: 5 }));
    expect(sessionPersistence(storage, "k").load_()).toBeNull();
    const failing = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("quota");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    };
    const p = sessionPersistence(failing, "k");
    expect(p.load_()).toBeNull();
    expect(() => p.save_(SESSION)).not.toThrow();
    expect(() => p.save_(null)).not.toThrow();
    // a sandboxed frame throws on reading sessionStorage itself
    Object.defineProperty(globalThis, "sessionStorage", {
      configurable: true,
      get() {
        throw new Error("SecurityError");
      },
    });
    try {
      const sandboxed = sessionPersistence("sessionStorage", "k");
      expect(sandboxed.load_()).toBeNull();
      expect(() => sandboxed.save_(SESSION)).not.toThrow();
    } finally {
      delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
    }
  });
});
