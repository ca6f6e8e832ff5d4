/** A password hash: PBKDF2-HMAC-SHA-256 over a random salt, through WebCrypto (browser and Node). */
export interface PasswordHash {
  salt: Uint8Array;
  hash: Uint8Array;
  iterations: number;
}

const encoder = new TextEncoder();

async function derive(password: string, salt: Uint8Array, iterations: number) {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Hashes a password with a fresh 16-byte salt. */
export async function hashPassword(password: string, iterations: number): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { salt, hash: await derive(password, salt, iterations), iterations };
}

/** Whether `password` matches `stored`, comparing in constant time. */
export async function checkPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const hash = await derive(password, stored.salt, stored.iterations);
  let diff = hash.length ^ stored.hash.length;
  for (let i = 0; i < hash.length; i++) diff |= hash[i]! ^ (stored.hash[i] ?? 0);
  return diff === 0;
}
