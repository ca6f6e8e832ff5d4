import type { KitContext } from "../context";
import { fromBase32, utf8 } from "../crypto/encoding";
import { openText } from "../secrets/keyRing";
import type { FactorRecord } from "../stores/types";
import { sealContext } from "./factorRecord";

/** Opens a factor's secret; re-seals it under the current key when it was sealed with an old one. */
export async function factorSecret(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
): Promise<Uint8Array | null> {
  const opened = await openText(ctx.keys, record.secret ?? "", sealContext(userId, factorId));
  if (!opened) return null;
  if (opened.stale) {
    const resealed = await ctx.keys.seal(utf8(opened.text), sealContext(userId, factorId));
    await ctx.store.patchFactor(userId, factorId, { secret: resealed });
  }
  return fromBase32(opened.text);
}
