import { type AttackOutcome, attacker } from "./attacker";
import { legitUser, type UserOutcome } from "./legitUser";
import { authenticator, type DriftBucket, driftBuckets } from "./phone";
import { prng } from "./prng";
import { virtualClock } from "./virtualClock";
import { createWorld } from "./world";

/** What to simulate. */
export interface SimulationOptions {
  /** Legitimate users. */
  users: number;
  /** Attackers, each on a victim of its own. Defaults to one per 100 users (at least 1). */
  attackers?: number;
  /** The seed of every random draw. Defaults to `1`. */
  seed?: number;
  /** `totp.activationWindow` for the kit. Defaults to the kit's default. */
  activationWindow?: number;
  /** Guesses an attacker sends at once. Defaults to `10`. */
  parallelGuesses?: number;
  /** Locks each attacker runs into before it stops. Defaults to `4` (every lock duration once). */
  locksPerAttacker?: number;
}

/** One lock of a victim, as the kit's events tell it. */
interface LockFigure {
  /** Guesses the kit evaluated (`mfa.failed` events) since the victim's previous lock. */
  guesses: number;
  /** From the burst that led to it being sent to the `mfa.locked` event reaching the listener. */
  timeToEventMs: number;
}

/** The figures of one run. */
export interface SimulationFigures {
  users: number;
  succeeded: number;
  byBucket: Record<DriftBucket, { users: number; succeeded: number }>;
  /** `enroll: INVALID_CODE`, ... with how many users failed so. */
  failures: Record<string, number>;
  /** Users who typed more than one code to enrol, or to sign in. */
  typedAgain: number;
  /** The network faults injected on the users' requests. */
  faults: { edgeUnavailable: number; lostAnswers: number };
  attackers: number;
  guessesSent: number;
  guessesAccepted: number;
  locks: LockFigure[];
  /** The virtual time the run covered. */
  simulatedMs: number;
  /** The `totp.activationWindow` given, or `undefined` for the kit's default. */
  activationWindow: number | undefined;
}

const T0 = Date.UTC(2027, 0, 4, 8, 0, 0);

/**
 * Runs the simulation on a virtual clock: `users` users arrive over half an hour, enrol and later
 * sign in (see `legitUser`); meanwhile the attackers guess on their victims. Deterministic: one
 * seed, one result.
 */
export async function simulate(options: SimulationOptions): Promise<SimulationFigures> {
  const seed = options.seed ?? 1;
  const random = prng(seed);
  const clock = virtualClock(T0, random.fork().next);
  const attackers = options.attackers ?? Math.max(1, Math.floor(options.users / 100));
  const world = createWorld(clock, random.fork(), {
    ...(options.activationWindow !== undefined
      ? { activationWindow: options.activationWindow }
      : {}),
  });

  return clock.run(async () => {
    // Victims: enrolled beforehand with a phone on time, each attacked by one attacker.
    const victims: { userId: string; factorId: string }[] = [];
    for (let i = 0; i < attackers; i++) {
      const userId = `victim-${i}`;
      const { factorId, secret } = await world.mfa.enrollTotp(userId);
      const phone = authenticator(secret, 0);
      const activated = await world.mfa.activateFactor(
        userId,
        factorId,
        phone.code(phone.step(clock.now())),
      );
      if (!activated.ok) throw new Error(`A victim's enrolment failed: ${activated.reason}.`);
      victims.push({ userId, factorId });
    }
    await clock.sleep(30_000);

    const attacks = new Map<string, AttackOutcome>();
    const failedSinceLock = new Map<string, number>();
    const locks: LockFigure[] = [];
    world.onEvent((event, deliveredAt) => {
      const attack = attacks.get(event.userId);
      if (!attack) return;
      if (event.type === "mfa.failed") {
        failedSinceLock.set(event.userId, (failedSinceLock.get(event.userId) ?? 0) + 1);
      } else if (event.type === "mfa.locked") {
        locks.push({
          guesses: failedSinceLock.get(event.userId) ?? 0,
          timeToEventMs: deliveredAt - attack.bursts[attack.bursts.length - 1]!,
        });
        failedSinceLock.set(event.userId, 0);
      }
    });

    const start = clock.now();
    const buckets = driftBuckets(options.users, random.fork());
    const userRuns = Array.from({ length: options.users }, async (_, i) => {
      const own = random.fork();
      await clock.sleep(own.between(0, 1_800_000));
      return legitUser(world, `user-${i}`, buckets[i]!, own);
    });
    const attackRuns = victims.map(async (victim) => {
      const own = random.fork();
      const outcome: AttackOutcome = { sent: 0, accepted: 0, bursts: [] };
      attacks.set(victim.userId, outcome);
      await clock.sleep(own.between(0, 600_000));
      return attacker(world, victim, own, {
        parallel: options.parallelGuesses ?? 10,
        locks: options.locksPerAttacker ?? 4,
        outcome,
      });
    });
    const outcomes: UserOutcome[] = await Promise.all(userRuns);
    const attackOutcomes = await Promise.all(attackRuns);
    await world.mfa.flushEvents();

    const byBucket = {
      "within 15 s": { users: 0, succeeded: 0 },
      "15-60 s": { users: 0, succeeded: 0 },
      minutes: { users: 0, succeeded: 0 },
    };
    const failures: Record<string, number> = {};
    for (const o of outcomes) {
      byBucket[o.bucket].users++;
      if (o.ok) byBucket[o.bucket].succeeded++;
      else {
        const key = `${o.failedAt}: ${o.reason}`;
        failures[key] = (failures[key] ?? 0) + 1;
      }
    }
    return {
      users: options.users,
      succeeded: outcomes.filter((o) => o.ok).length,
      byBucket,
      failures,
      typedAgain: outcomes.filter((o) => o.codes > 2).length,
      faults: { ...world.faults },
      attackers,
      guessesSent: attackOutcomes.reduce((n, a) => n + a.sent, 0),
      guessesAccepted: attackOutcomes.reduce((n, a) => n + a.accepted, 0),
      locks,
      simulatedMs: clock.now() - start,
      activationWindow: options.activationWindow,
    };
  });
}
