import { mfaPath } from "@mfa-kit/protocol";
import type { Prng } from "./prng";
import { ATTACKER_NETWORK, accessToken, ORIGIN, type World } from "./world";

/** What one attacker saw from its side. */
export interface AttackOutcome {
  /** Guesses sent. */
  sent: number;
  /** Guesses the API accepted (a session for the attacker). */
  accepted: number;
  /** When each burst of guesses was sent (virtual ms), in order. */
  bursts: number[];
}

/**
 * An attacker holding a victim's password (the primary sign-in) but not the phone: it sends
 * `parallel` random codes to `/mfa/verify` at once, straight over HTTP, waits out each lock
 * (`Retry-After`) and starts again, until it has run into `locks` locks. It keeps count in
 * `outcome` (read by whoever watches the kit's events meanwhile).
 */
export async function attacker(
  world: World,
  victim: { userId: string; factorId: string },
  random: Prng,
  options: { parallel: number; locks: number; outcome: AttackOutcome },
): Promise<AttackOutcome> {
  const fetch = world.fetchFor(ATTACKER_NETWORK, random);
  const { outcome } = options;
  const url = new URL(mfaPath("verify", {}), ORIGIN).href;
  const guess = async (): Promise<{ status: number; retryAfterMs: number }> => {
    outcome.sent++;
    const code = String(random.int(1_000_000)).padStart(6, "0");
    const res = await fetch(url, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${accessToken(victim.userId)}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ factorId: victim.factorId, code }),
    });
    await res.body?.cancel();
    return { status: res.status, retryAfterMs: Number(res.headers.get("retry-after") ?? 1) * 1000 };
  };
  for (let locks = 0; locks < options.locks; ) {
    outcome.bursts.push(world.clock.now());
    const answers = await Promise.all(Array.from({ length: options.parallel }, guess));
    outcome.accepted += answers.filter((a) => a.status === 200).length;
    const locked = answers.filter((a) => a.status === 429);
    if (locked.length === 0) continue;
    locks++;
    await world.clock.sleep(
      Math.max(...locked.map((a) => a.retryAfterMs)) + random.between(0, 2_000),
    );
  }
  return outcome;
}
