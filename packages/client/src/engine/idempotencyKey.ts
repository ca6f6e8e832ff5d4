/** A random key for `Idempotency-Key`: a UUID v4, or 32 random hex digits where `randomUUID` is missing (plain-HTTP pages). */
export const idempotencyKey = (): string =>
  crypto.randomUUID?.() ??
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    (b + 256).toString(16).slice(1),
  ).join("");
