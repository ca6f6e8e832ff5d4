/** One line of the client-activity panel. */
interface ActivityEntry {
  id: number;
  /** Epoch milliseconds on this device's clock. */
  at: number;
  /** What the client did, for people. */
  text: string;
  kind: "info" | "warning";
}

/** A short, subscribable log of what the MFA client did (refreshes, retries, step-ups...). */
export interface ActivityLog {
  add(text: string, kind?: ActivityEntry["kind"]): void;
  clear(): void;
  subscribe(listener: () => void): () => void;
  /** Newest first; a new array on every change. */
  getSnapshot(): readonly ActivityEntry[];
}

/** A log keeping the newest `capacity` entries (defaults to 50). */
export function createActivityLog(capacity = 50, now: () => number = Date.now): ActivityLog {
  let entries: readonly ActivityEntry[] = [];
  let id = 0;
  const listeners = new Set<() => void>();
  const emit = () => {
    for (const l of [...listeners]) l();
  };
  return {
    add(text, kind = "info") {
      entries = [{ id: ++id, at: now(), text, kind }, ...entries].slice(0, capacity);
      emit();
    },
    clear() {
      entries = [];
      emit();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => entries,
  };
}
