import type { MfaClient } from "@mfa-kit/client";
import { useCallback, useSyncExternalStore } from "react";

/** One cached answer, as the components reading it see it. */
export interface Query<T> {
  /** The last answer; `undefined` until the first one arrives. */
  data_?: T;
  /** Why the last fetch failed, or `null`. */
  error_: Error | null;
  /** A fetch is in flight. */
  loading_: boolean;
}

interface Entry {
  state_: Query<unknown>;
  fetch_: () => Promise<unknown>;
  listeners_: Set<() => void>;
  flight_?: Promise<void>;
  /** Out of date: fetched again by the next reader. */
  stale_?: boolean;
}

const entries = new WeakMap<MfaClient, Entry>();

/**
 * The factor list of one client, shared by every component: one fetch however many read it,
 * fetched again after each verification (`authTime` moved: last-used times and backup codes
 * changed) and when {@link invalidate}d after a change.
 */
function entryOf(client: MfaClient, fetch: () => Promise<unknown>): Entry {
  let entry = entries.get(client);
  if (!entry) {
    entry = {
      state_: { error_: null, loading_: false },
      fetch_: fetch,
      listeners_: new Set(),
      stale_: true,
    };
    entries.set(client, entry);
    let authTime = client.getSnapshot().session?.authTime;
    client.subscribe(({ session }) => {
      if (session && session.authTime !== authTime) void invalidate(client);
      authTime = session?.authTime;
    });
  }
  return entry;
}

const set = (entry: Entry, patch: Partial<Query<unknown>>) => {
  entry.state_ = { ...entry.state_, ...patch };
  for (const listener of entry.listeners_) listener();
};

/** Fetches `entry`, or joins the fetch in flight. */
const load = (entry: Entry): Promise<void> => {
  entry.stale_ = false;
  if (!entry.flight_) {
    set(entry, { loading_: true });
    entry.flight_ = entry
      .fetch_()
      .then(
        (data) => set(entry, { data_: data, error_: null, loading_: false }),
        (error: Error) => set(entry, { error_: error, loading_: false }),
      )
      .finally(() => {
        entry.flight_ = undefined;
      });
  }
  return entry.flight_;
};

/**
 * Marks the factor list of `client` out of date and, if a component is reading it, fetches it again
 * (after the fetch in flight, whose answer may predate the change); resolves once the fresh answer
 * is in.
 */
export function invalidate(client: MfaClient): Promise<void> {
  const entry = entries.get(client);
  if (!entry) return Promise.resolve();
  entry.stale_ = true;
  const again = () => (entry.listeners_.size && entry.stale_ ? load(entry) : undefined);
  return entry.flight_ ? entry.flight_.then(again) : Promise.resolve(again());
}

/** Reads the factor list of `client`, fetching it with `fetch` when no one has yet, re-rendering as it changes. */
export function useQuery<T>(client: MfaClient, fetch: () => Promise<T>): Query<T> {
  const e = entryOf(client, fetch);
  const subscribe = useCallback(
    (listener: () => void) => {
      e.listeners_.add(listener);
      if (e.stale_) void load(e);
      return () => void e.listeners_.delete(listener);
    },
    [e],
  );
  const read = () => e.state_ as Query<T>;
  return useSyncExternalStore(subscribe, read, read);
}
