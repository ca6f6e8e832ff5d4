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
});
