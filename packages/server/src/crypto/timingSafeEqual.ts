/**
 * Constant-time byte comparison: the loop always runs over the longer input and folds every
 * difference into one accumulator, so the time does not reveal where the inputs differ.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
