/** A tiny external store (see {@link createStore}). */
export interface Store<T> {
  /** The current state: frozen, replaced (never mutated) on each change. */
  getSnapshot(): T;
  /** Calls `listener` after each change; returns the unsubscribe function. */
  subscribe(listener: (state: T) => void): () => void;
  /** Applies `patch`, unless no field changes; then tells the listeners. */
  set(patch: Partial<T>): void;
}

/**
 * One immutable state object and the listeners told after each change. `subscribe` and
 * `getSnapshot` need no `this`: they can be handed to `useSyncExternalStore` as they are.
 */
export function createStore<T extends object>(initial: T): Store<T> {
  let state = Object.freeze(initial);
  const listeners = new Set<(state: T) => void>();
  return {
    getSnapshot: () => state,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    set(patch) {
      for (const key in patch) {
        if (!Object.is(patch[key], state[key])) {
          state = Object.freeze({ ...state, ...patch });
          for (const listener of listeners) {
            try {
              listener(state);
            } catch {
              // A failing listener must not break the others, nor the request that changed the state.
            }
          }
          return;
        }
      }
    },
  };
}
