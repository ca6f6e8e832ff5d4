import type { SimulationFigures } from "./simulation";

/** The goals the figures are held to. */
export const GOALS = { successRate: 0.995, guessesPerLock: 3, timeToLockEventMs: 5_000 };

const percent = (n: number, of: number) => `${of === 0 ? "-" : ((100 * n) / of).toFixed(2)} %`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

/** The headline figures and whether each meets its goal. */
export function summary(f: SimulationFigures) {
  const guesses = f.locks.map((l) => l.guesses);
  const times = f.locks.map((l) => l.timeToEventMs);
  const successRate = f.users === 0 ? 0 : f.succeeded / f.users;
  const maxGuessesPerLock = Math.max(0, ...guesses);
  const maxTimeToLockEventMs = Math.max(0, ...times);
  return {
    successRate,
    maxGuessesPerLock,
    meanGuessesPerLock: guesses.length ? guesses.reduce((a, b) => a + b, 0) / guesses.length : 0,
    p50TimeToLockEventMs: quantile(times, 0.5),
    maxTimeToLockEventMs,
    met:
      successRate >= GOALS.successRate &&
      f.locks.length > 0 &&
      maxGuessesPerLock <= GOALS.guessesPerLock &&
      maxTimeToLockEventMs < GOALS.timeToLockEventMs &&
      f.guessesAccepted === 0,
  };
}

/** The report `npm run simulate` prints, one figure a line. */
export function formatFigures(f: SimulationFigures, wallMs?: number): string[] {
  const s = summary(f);
  const window = f.activationWindow === undefined ? "default" : String(f.activationWindow);
  const lines = [
    `simulate: ${f.users} users, ${f.attackers} attackers, totp.activationWindow ${window}`,
    `legitimate success: ${percent(f.succeeded, f.users)} (${f.succeeded} / ${f.users}; goal >= ${GOALS.successRate * 100} %)`,
  ];
  for (const [bucket, b] of Object.entries(f.byBucket)) {
    lines.push(
      `  phones ${bucket} off: ${percent(b.succeeded, b.users)} (${b.succeeded} / ${b.users})`,
    );
  }
  for (const [why, n] of Object.entries(f.failures).sort((a, b) => b[1] - a[1])) {
    lines.push(`  failed at ${why}: ${n}`);
  }
  lines.push(
    `  typed a code again: ${f.typedAgain}; network faults met: ${f.faults.edgeUnavailable} edge 503s, ${f.faults.lostAnswers} lost answers`,
    `guesses evaluated per attacker per lock: max ${s.maxGuessesPerLock}, mean ${s.meanGuessesPerLock.toFixed(2)} over ${f.locks.length} locks (goal <= ${GOALS.guessesPerLock}); ${f.guessesSent} guesses sent, ${f.guessesAccepted} accepted`,
    `time to the lock event: p50 ${seconds(s.p50TimeToLockEventMs)}, max ${seconds(s.maxTimeToLockEventMs)} (goal < ${seconds(GOALS.timeToLockEventMs)})`,
    `simulated ${(f.simulatedMs / 3_600_000).toFixed(2)} h${wallMs === undefined ? "" : ` in ${seconds(wallMs)}`}; goals ${s.met ? "met" : "NOT met"}`,
  );
  return lines;
}
