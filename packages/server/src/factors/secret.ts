import type { KitContext } from "../context";
import { fromBase32, utf8 } from "../crypto/encoding";
import { openText } from "../secrets/keyRing";
import type { FactorRecord } from "../stores/types";
import { forgetFactors } from "./factorCache";
import { sealContext } from "./factorRecord";

/** How many opened secrets a kit keeps in memory (never in the store). */
export const CACHE_SIZE = 10_000;

/**
 * Opens a factor's secret; re-seals it under the current key when it was sealed with an old one.
 *
 * Opened secrets are kept in a bounded in-process cache keyed by the sealed value (and checked
 * against its context), which saves an AES-GCM open per verification; a cached one is returned
 * without a promise. It holds nothing an attacker with the process's memory would not already
 * have: the memory also holds the keys.
 */
export function factorSecret(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
): Uint8Array | null | Promise<Uint8Array | null> {
  const sealed = record.secret ?? "";
  const context = sealContext(userId, factorId);
  const cached = ctx.secrets.get(sealed);
  if (cached && cached.context === context) return cached.key;
  return openSecret(ctx, userId, factorId, sealed, context);
}

async function openSecret(
  ctx: KitContext,
  userId: string,
  factorId: string,
  sealed: string,
  context: string,
): Promise<Uint8Array | null> {
  const opened = await openText(ctx.keys, sealed, context);
  if (!opened) return null;
  if (opened.stale) {
    const resealed = await ctx.keys.seal(utf8(opened.text), context);
    await ctx.store.patchFactor(userId, factorId, { secret: resealed });
    forgetFactors(ctx, userId);
  }
  const key = fromBase32(opened.text);
  if (key && !opened.stale) {
    ctx.secrets.set(sealed, { context, key });
  }
  return key;
}
