const HINTS: Record<string, string> = { "0": "O", "1": "I or L", "8": "B", "9": "g" };

/**
 * Cleans up a base32 secret as people type or paste it: strips spaces, hyphens and trailing `=`
 * padding and upper-cases it. Throws an `Error` naming the first character that is not base32
 * (`A`–`Z`, `2`–`7`) and where it is, or saying the input is empty.
 *
 * @example normalizeBase32("jbsw y3dp-ehpk 3pxp") // "JBSWY3DPEHPK3PXP"
 */
export function normalizeBase32(input: string): string {
  const cleaned = String(input)
    .replace(/[\s-]+/g, "")
    .replace(/=+$/, "")
    .toUpperCase();
  if (!cleaned) throw new Error("Base32 secret is empty.");
  const bad = /[^A-Z2-7]/.exec(cleaned);
  if (bad) {
    const c = bad[0];
    const hint = HINTS[c] ? ` (did you mean ${HINTS[c]}?)` : "";
    throw new Error(
      `Invalid base32 character ${JSON.stringify(c)} at position ${bad.index + 1}${hint}: a base32 secret uses only the letters A-Z and the digits 2-7.`,
    );
  }
  return cleaned;
}

/**
 * A base32 secret for people to read and type: normalised, then grouped in fours.
 *
 * @example formatBase32ForDisplay("JBSWY3DPEHPK3PXP") // "JBSW Y3DP EHPK 3PXP"
 */
export function formatBase32ForDisplay(secret: string): string {
  return normalizeBase32(secret).replace(/(.{4})(?=.)/g, "$1 ");
}
