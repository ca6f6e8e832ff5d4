// Look-alikes people type for letters of the base32 alphabet.
const HINTS: Record<string, string> = { "0": "O", "1": "I or L", "8": "B" };

/**
 * Cleans up a base32 secret as people type or paste it: strips whitespace, hyphens and trailing `=`
 * padding and upper-cases it. Throws an `Error` naming the first character that is not base32
 * (`A`–`Z`, `2`–`7`) and its position in the input as typed (1-based, with a hint for look-alikes
 * such as `0`), or saying the secret is empty.
 *
 * @example normalizeBase32("jbsw y3dp-ehpk 3pxp") // "JBSWY3DPEHPK3PXP"
 */
export function normalizeBase32(input: string): string {
  const secret = typeof input === "string" ? input : "";
  // `=` is padding only where nothing but padding, spaces or hyphens follows it.
  const bad = /[^A-Za-z2-7\s=-]|=(?![\s=-]*$)/u.exec(secret);
  if (bad) {
    const hint = HINTS[bad[0]];
    throw new Error(
      `Invalid base32 character ${JSON.stringify(bad[0])} at position ${bad.index + 1}${hint ? ` (did you mean ${hint}?)` : ""}; base32 uses only A-Z and 2-7.`,
    );
  }
  const cleaned = secret.replace(/[\s=-]/g, "").toUpperCase();
  if (!cleaned) throw new Error("Base32 secret is empty.");
  return cleaned;
}

/**
 * A base32 secret for people to read and type: without whitespace, hyphens and `=` padding,
 * upper-cased, grouped in fours. It shows any string it is given and never throws on one, so a
 * screen that renders a secret cannot fail on it; {@link normalizeBase32} is the check of what people type back.
 *
 * @example formatBase32ForDisplay("JBSWY3DPEHPK3PXP") // "JBSW Y3DP EHPK 3PXP"
 */
export function formatBase32ForDisplay(secret: string): string {
  return secret
    .replace(/[\s=-]/g, "")
    .toUpperCase()
    .replace(/(.{4})(?=.)/g, "$1 ");
}
