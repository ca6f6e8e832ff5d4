import { describe, expect, it, vi } from "vitest";
import { createStore } from "./store";

describe("createStore", () => {
  it("gives a new frozen object on a change and the same object otherwise", () => {
    const store = createStore({ a: 1, b: "x" });
    const first = store.getSnapshot();
    expect(Object.isFrozen(first)).toBe(true);
    store.set({ a: 1 });
    expect(store.getSnapshot()).toBe(first);
    store.set({ a: 2 });
    expect(store.getSnapshot()).not.toBe(first);
    expect(store.getSnapshot()).toEqual({ a: 2, b: "x" });
    expect(first).toEqual({ a: 1, b: "x" });
  });

  it("tells listeners after each change until they unsubscribe", () => {
    const store = createStore({ n: 0 });
    const listener = vi.fn();
    const { subscribe, getSnapshot } = store; // bound: fit for useSyncExternalStore
    const unsubscribe = subscribe(listener);
    store.set({ n: 1 });
    expect(listener).toHaveBeenCalledWith(getSnapshot());
    unsubscribe();
    store.set({ n: 2 });
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it("looks at every field of a patch, and tells every listener even when one throws", () => {
    const store = createStore({ a: 1, b: "x" });
    const seen: unknown[] = [];
    store.subscribe(() => {
      throw new Error("broken listener");
    });
    store.subscribe((state) => seen.push(state));
    expect(() => store.set({ a: 1, b: "y" })).not.toThrow();
    expect(store.getSnapshot()).toEqual({ a: 1, b: "y" });
    expect(seen).toEqual([{ a: 1, b: "y" }]);
    // NaN is NaN, and -0 is not 0 (Object.is)
    const n = createStore({ v: Number.NaN });
    const listener = vi.fn();
    n.subscribe(listener);
    n.set({ v: Number.NaN });
    expect(listener).not.toHaveBeenCalled();
  });
});
