import { formatFigures, summary } from "./format";
import { simulate } from "./simulation";

// `npm run simulate`: the success-rate simulation at full size (SIMULATE_USERS, default 5 000;
// SIMULATE_ATTACKERS, default one per 100 users; SIMULATE_SEED, default 1;
// SIMULATE_ACTIVATION_WINDOW to try another `totp.activationWindow`). Prints its figures and exits
// non-zero when a goal is missed.
const int = (name: string): number | undefined => {
  const text = process.env[name];
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a whole number, got ${text}.`);
  return n;
};

const users = int("SIMULATE_USERS") ?? 5_000;
const attackers = int("SIMULATE_ATTACKERS");
const seed = int("SIMULATE_SEED");
const activationWindow = int("SIMULATE_ACTIVATION_WINDOW");
const started = performance.now();
const figures = await simulate({
  users,
  ...(attackers !== undefined ? { attackers } : {}),
  ...(seed !== undefined ? { seed } : {}),
  ...(activationWindow !== undefined ? { activationWindow } : {}),
});
for (const line of formatFigures(figures, performance.now() - started)) console.log(line);
if (!summary(figures).met) process.exitCode = 1;
