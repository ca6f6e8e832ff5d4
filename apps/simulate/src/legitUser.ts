import { createMfaClient, MfaError } from "@mfa-kit/client";
import { authenticator, type DriftBucket, phoneDrift } from "./phone";
import type { Prng } from "./prng";
import { ACCOUNT_PATH, accessToken, ORIGIN, USER_NETWORK, type World } from "./world";

/** How one legitimate user fared: enrolled a TOTP factor, then signed in with it later. */
export interface UserOutcome {
  ok: boolean;
  bucket: DriftBucket;
  driftMs: number;
  /** Where it went wrong: `"enroll"` (activation) or `"login"` (the step-up of a later call). */
  failedAt?: "enroll" | "login";
  /** The last error's code (`INVALID_CODE`, `LOCKED`, ...). */
  reason?: string;
  /** Codes the user typed in all. */
  codes: number;
}

/** Codes a user types per task before giving up (the kit locks after 3 wrong ones anyway). */
const PATIENCE = 3;
/** Times a user tries a task again after it failed on the network (no answer, an outage). */
const NETWORK_TRIES = 3;

/** The error's code, and the code of its cause (what the challenge handler gave up on). */
const codeOf = (error: unknown): string =>
  error instanceof MfaError
    ? error.cause instanceof MfaError
      ? `${error.code} after ${error.cause.code}`
      : error.code
    : String(error);
const networkTrouble = (code: string) =>
  ["NETWORK", "TIMEOUT", "SERVICE_UNAVAILABLE", "RETRY_EXHAUSTED", "STEP_UP_FAILED"].includes(
    code.split(" ")[0]!,
  );

/**
 * One user, with a phone whose clock is off as `bucket` says: signs up for a TOTP factor through the client (`mfa.api.enrollTotp`, scans the QR code,
 * types the phone's code into `activateFactor`), then, between a minute and two hours later,
 * calls the app's protected route with a fresh client whose challenge handler types the phone's
 * code. Each code is read off the phone (its clock `driftMs` off) and typed in 3 to 20 s; a
 * refused code is followed by the phone's next one; an outage or a lost answer is tried again.
 */
export async function legitUser(
  world: World,
  userId: string,
  bucket: DriftBucket,
  random: Prng,
): Promise<UserOutcome> {
  const { clock } = world;
  const driftMs = phoneDrift(bucket, random);
  let codes = 0;
  const result = (failedAt?: UserOutcome["failedAt"], reason?: string): UserOutcome => ({
    ok: failedAt === undefined,
    bucket,
    driftMs,
    codes,
    ...(failedAt ? { failedAt, reason } : {}),
  });

  let phone: ReturnType<typeof authenticator> | undefined;
  let refusedStep = Number.NEGATIVE_INFINITY;
  /** Reads the phone (waiting out the code just refused, as its countdown shows) and types it. */
  const typeCode = async () => {
    const shown = phone!.step(clock.now());
    if (shown <= refusedStep)
      await clock.sleep((refusedStep + 1) * 30_000 - (clock.now() + driftMs));
    const step = phone!.step(clock.now());
    await clock.sleep(random.between(3_000, 20_000));
    codes++;
    return { step, code: phone!.code(step) };
  };

  // Enrolment: QR code, then the first code activates the factor.
  const enrolling = createMfaClient({
    baseUrl: ORIGIN,
    getAccessToken: () => accessToken(userId),
    fetch: world.fetchFor(USER_NETWORK, random),
  });
  let factorId = "";
  for (let tries = 0; !factorId; ) {
    try {
      const enrollment = await enrolling.api.enrollTotp();
      factorId = enrollment.factorId;
      phone = authenticator(enrollment.secret, driftMs);
    } catch (error) {
      if (++tries >= NETWORK_TRIES || !networkTrouble(codeOf(error))) {
        return result("enroll", codeOf(error));
      }
      await clock.sleep(random.between(2_000, 10_000));
    }
  }
  await clock.sleep(random.between(5_000, 40_000));
  for (let refused = 0, tries = 0; ; ) {
    const { step, code } = await typeCode();
    try {
      await enrolling.api.activateFactor(factorId, code);
      break;
    } catch (error) {
      const reason = codeOf(error);
      if (reason === "INVALID_CODE" && ++refused < PATIENCE) {
        refusedStep = step;
        continue;
      }
      if (networkTrouble(reason) && ++tries < NETWORK_TRIES) {
        await clock.sleep(random.between(1_000, 5_000));
        continue;
      }
      return result("enroll", reason);
    }
  }

  // Later: a protected call on a fresh client (a new app start) steps up with the phone's code.
  await clock.sleep(random.between(60_000, 7_200_000));
  refusedStep = Number.NEGATIVE_INFINITY;
  let lastStep = Number.NEGATIVE_INFINITY;
  let lastCode = "";
  let refused = 0;
  const signingIn = createMfaClient({
    baseUrl: ORIGIN,
    getAccessToken: () => accessToken(userId),
    fetch: world.fetchFor(USER_NETWORK, random),
    onChallenge: async (_challenge, { lastError }) => {
      if (lastError?.code === "INVALID_CODE") {
        refusedStep = lastStep;
        if (++refused >= PATIENCE) throw lastError;
      } else if (lastError?.code === "LOCKED") {
        throw lastError;
      } else if (lastError && lastCode) {
        // An outage: the code is still in the field; press the button again.
        await clock.sleep(random.between(1_000, 3_000));
        return { factorId, code: lastCode };
      }
      const typed = await typeCode();
      lastStep = typed.step;
      lastCode = typed.code;
      return { factorId, code: typed.code };
    },
  });
  for (let tries = 0; ; ) {
    try {
      const res = await signingIn.fetch(ACCOUNT_PATH);
      if (res.ok) return result();
      return result("login", `HTTP ${res.status}`);
    } catch (error) {
      const reason = codeOf(error);
      if (networkTrouble(reason) && ++tries < NETWORK_TRIES) {
        await clock.sleep(random.between(1_000, 5_000));
        continue;
      }
      return result("login", reason);
    }
  }
}
