/**
 * `getSession` functions that always answer at once, never with a promise (the memory store's).
 * The session check takes their answer as it is: telling a promise from a session record would
 * read the record (its `then`), one more wait on memory among a million sessions. A store whose
 * `getSession` is another function (a wrapper, an override) is checked for a promise as before.
 */
export const syncSessionLookups = new WeakSet<object>();
