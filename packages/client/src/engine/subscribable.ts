/**
 * A tiny external store: one immutable state object, replaced (never mutated) on every change,
 * and listeners told after each change. `subscribe` and `getSnapshot` are bound, so they can be
 * handed to `useSyncExternalStore` as they are.
 */
export class Subscribable<T extends object> {
  private state: T;
  private readonly listeners = new Set<(state: T) => void>();

  constructor(initial: T) {
    this.state = Object.freeze({ ...initial });
  }

  readonly getSnapshot = (): T => this.state;

  readonly subscribe = (listener: (state: T) => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** Replaces the state with `patch` applied, unless no field changes; then tells the listeners. */
  set(patch: Partial<T>): void {
    let changed = false;
    for (const key in patch) if (!Object.is(patch[key], this.state[key])) changed = true;
    if (!changed) return;
    this.state = Object.freeze({ ...this.state, ...patch });
    for (const listener of this.listeners) {
      try {
        listener(this.state);
      } catch {
        // A failing listener must not break the others, nor the request that changed the state.
      }
    }
  }
}
