/**
 * Marks a `getSession` function that always answers at once, never with a promise (the memory
 * store's). The session check takes its answer as it is: telling a promise from a session record
 * would read the record (its `then`), one more wait on memory among a million sessions. A store
 * whose `getSession` is another function (a wrapper, an override) is checked for a promise as
 * before. A registered symbol, so it holds across the package's builds.
 */
const SYNC: unique symbol = Symbol.for("@mfa-kit/server:syncGetSession") as never;

/** Marks `getSession` as answering at once. */
export const markSyncSessions = (getSession: object) =>
  Object.defineProperty(getSession, SYNC, { value: true });

/** Whether `getSession` was marked by {@link markSyncSessions}. */
export const answersAtOnce = (getSession: unknown): boolean =>
  (getSession as { [SYNC]?: unknown } | undefined)?.[SYNC] === true;
