import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MfaClient } from "../index";
import { client } from "../test/adapters";
import { FakeApi } from "../test/fakeApi";
import { useServer } from "../test/server";

// Two clients in one process stand for two tabs of an origin: Node's BroadcastChannel connects
// them as a browser's does, a fake LockManager stands for Web Locks, and a fake localStorage
// sends `storage` events as the browser does to the other tabs.

const server = useServer();

/** Web Locks, exclusive, FIFO, with `signal`; `drop(name)` releases the holder as a closed tab would. */
function fakeLocks() {
  const queues = new Map<string, { run: () => void; abandon: () => void }[]>();
  const held = new Map<string, () => void>();
  const next = (name: string) => {
    const queue = queues.get(name) ?? [];
    if (held.has(name) || !queue.length) return;
    // Granted from the event loop, as a browser's lock manager answers across processes.
    const entry = queue.shift()!;
    held.set(name, () => {});
    setTimeout(() => {
      held.delete(name);
      entry.run();
    }, 0);
  };
  return {
    request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>) {
      return new Promise<T>((resolve, reject) => {
        const entry = {
          run: () => {
            let released = false;
            const release = () => {
              if (released) return;
              released = true;
              held.delete(name);
              next(name);
            };
            held.set(name, release);
            callback().then(resolve, reject).finally(release);
          },
          abandon: () =>
            reject(options.signal?.reason ?? new DOMException("Aborted", "AbortError")),
        };
        options.signal?.addEventListener("abort", () => {
          const queue = queues.get(name) ?? [];
          const i = queue.indexOf(entry);
          if (i >= 0) {
            queue.splice(i, 1);
            entry.abandon();
          }
        });
        queues.set(name, [...(queues.get(name) ?? []), entry]);
        next(name);
      });
    },
    drop(name: string) {
      held.get(name)?.();
    },
  };
}

/**
 * localStorage as the tabs see it. A browser tells the other tabs of a write from the event loop;
 * with `lagging`, the write reaches storage (and the event the tabs) only on `flush()`, as when the
 * browser copies storage across its processes after it granted a lock.
 */
function fakeStorage() {
  const items = new Map<string, string>();
  const listeners = new Set<(event: { key: string; newValue: string | null }) => void>();
  const held: (() => void)[] = [];
  const state = { lagging: false };
  const write = (key: string, newValue: string | null) => {
    const apply = () => {
      if (newValue === null) items.delete(key);
      else items.set(key, newValue);
      queueMicrotask(() => {
        for (const l of listeners) l({ key, newValue });
      });
    };
    if (state.lagging) held.push(apply);
    else apply();
  };
  return {
    listeners,
    state,
    flush: () => {
      for (const apply of held.splice(0)) apply();
    },
    storage: {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => write(key, value),
      removeItem: (key: string) => write(key, null),
    },
  };
}

let locks: ReturnType<typeof fakeLocks>;
let shared: ReturnType<typeof fakeStorage>;
const tabs: MfaClient[] = [];

beforeEach(() => {
  locks = fakeLocks();
  shared = fakeStorage();
  const { storage, listeners } = shared;
  vi.stubGlobal("navigator", { locks });
  vi.stubGlobal("localStorage", storage);
  vi.stubGlobal(
    "addEventListener",
    (type: string, l: never) => type === "storage" && listeners.add(l),
  );
  vi.stubGlobal("removeEventListener", (_: string, l: never) => listeners.delete(l));
});

afterEach(() => {
  vi.unstubAllGlobals();
  tabs.length = 0;
});

// Each test's tabs are an origin of their own: the clients of earlier tests stay connected.
let origin = 0;
let storageKey = "";
beforeEach(() => {
  storageKey = `mfa-kit.session.${++origin}`;
});

const tab = (options: Parameters<typeof client>[0] = {}) => {
  const mfa = client({ session: { storage: "localStorage", storageKey }, ...options });
  tabs.push(mfa);
  return mfa;
};

describe('tabs (session.storage: "localStorage")', () => {
  it("refreshes the access token once for 100 concurrent 401s split over two tabs", async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    const refreshAccessToken = vi.fn(async () => "t2");
    const a = tab({ refreshAccessToken });
    const b = tab({ refreshAccessToken });
    const calls = Array.from({ length: 100 }, (_, i) =>
      (i % 2 ? a : b).fetch(`/data/item/${i}`).then((r) => r.status),
    );
    expect(await Promise.all(calls)).toEqual(Array(100).fill(200));
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
  });

  it("refreshes in each tab when coordination is off (`tabs: false`)", async () => {
    const api = new FakeApi(server);
    api.tokens = new Set(["t2"]);
    const refreshAccessToken = vi.fn(async () => "t2");
    const a = tab({ refreshAccessToken, tabs: false });
    const b = tab({ refreshAccessToken, tabs: false });
    await Promise.all([a.fetch("/data/item/1"), b.fetch("/data/item/2")]);
    expect(refreshAccessToken).toHaveBeenCalledTimes(2);
  });

  it("prompts once for step-ups in both tabs; the answer in one lets the other's calls through", async () => {
    const api = new FakeApi(server);
    let answer!: (a: { code: string }) => void;
    const promptA = vi.fn(() => new Promise<{ code: string }>((r) => (answer = r)));
    const promptB = vi.fn(async () => ({ code: api.code }));
    const a = tab({ onChallenge: promptA });
    const b = tab({ onChallenge: promptB });
    const first = a.fetch("/data/mfa/a");
    await vi.waitFor(() => expect(promptA).toHaveBeenCalledOnce());
    const second = Promise.all([b.fetch("/data/mfa/b1"), b.fetch("/data/mfa/b2")]);
    answer({ code: api.code });
    expect((await first).status).toBe(200);
    expect((await second).map((r) => r.status)).toEqual([200, 200]);
    expect(promptB).not.toHaveBeenCalled();
    expect(b.getSnapshot().session).toEqual(a.getSnapshot().session);
  });

  // Regression: Chromium granted the prompt's lock to the second tab before its storage showed the
  // first tab's answer, and the second tab prompted again.
  it("prompts once when the answer reaches the other tab's storage after the lock", async () => {
    const api = new FakeApi(server);
    let answer!: (a: { code: string }) => void;
    const promptA = vi.fn(() => new Promise<{ code: string }>((r) => (answer = r)));
    const promptB = vi.fn(() => new Promise<never>(() => {}));
    const a = tab({ onChallenge: promptA });
    const b = tab({ onChallenge: promptB });
    const first = a.fetch("/data/mfa/a");
    await vi.waitFor(() => expect(promptA).toHaveBeenCalledOnce());
    const second = b.fetch("/data/mfa/b");
    await new Promise((r) => setTimeout(r, 0));
    shared.state.lagging = true;
    answer({ code: api.code });
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(promptB).not.toHaveBeenCalled();
    expect(api.verifyBodies).toHaveLength(1);
    shared.flush();
    await vi.waitFor(() => expect(b.getSnapshot().session).toEqual(a.getSnapshot().session));
  });

  it("hands the prompt over when the tab showing it is closed", async () => {
    const api = new FakeApi(server);
    const promptA = vi.fn(() => new Promise<never>(() => {}));
    const promptB = vi.fn(async () => ({ code: api.code }));
    const a = tab({ onChallenge: promptA });
    const b = tab({ onChallenge: promptB });
    a.fetch("/data/mfa/a").catch(() => {});
    await vi.waitFor(() => expect(promptA).toHaveBeenCalledOnce());
    const waiting = b.fetch("/data/mfa/b");
    await Promise.resolve();
    expect(promptB).not.toHaveBeenCalled();
    // The first tab closes: the browser releases its lock.
    locks.drop(`mfa-kit:${storageKey}:prompt`);
    expect((await waiting).status).toBe(200);
    expect(promptB).toHaveBeenCalledOnce();
  });

  it("cancels the other tabs' waiting calls when the prompt is cancelled where it is shown", async () => {
    new FakeApi(server);
    const a = tab({ onChallenge: () => new Promise<never>(() => {}) });
    const b = tab({ onChallenge: vi.fn(() => new Promise<never>(() => {})) });
    const first = a.fetch("/data/mfa/a").catch((e: { code?: string }) => e.code);
    await vi.waitFor(() => expect(a.getSnapshot().pendingChallenge).not.toBeNull());
    const second = b.fetch("/data/mfa/b").catch((e: { code?: string }) => e.code);
    await new Promise((r) => setTimeout(r, 0));
    a.cancelChallenge();
    expect(await first).toBe("STEP_UP_CANCELLED");
    expect(await second).toBe("STEP_UP_CANCELLED");
  });

  it("signs every tab out when one signs out", async () => {
    const api = new FakeApi(server);
    const a = tab({ onChallenge: async () => ({ code: api.code }) });
    const b = tab();
    await a.fetch("/data/mfa/a");
    await vi.waitFor(() => expect(b.getSnapshot().session).not.toBeNull());
    a.signOut();
    await vi.waitFor(() => expect(b.getSnapshot().session).toBeNull());
    expect(a.getSnapshot().session).toBeNull();
  });
});
