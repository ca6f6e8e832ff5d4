import {
  type MfaProblem,
  type MfaProblemName,
  parseStepUpChallenge,
  problemName,
  type StepUpChallenge,
} from "@mfa-kit/protocol";
import type { ChallengeCoordinator } from "./challengeCoordinator";
import type { EngineCore } from "./core";
import { type FailureLink, problemOf } from "./failure";
import { MfaError } from "./mfaError";
import type { MfaSession } from "./mfaSession";

/**
 * Problems whose 401 asks for a verification even without an RFC 9470 `WWW-Authenticate` challenge
 * (names compared exactly).
 */
const CHALLENGE_PROBLEMS: readonly MfaProblemName[] = [
  "mfa_required",
  "step_up_required",
  "invalid_session",
];

/**
 * The kit's own step-up: a 401 challenge (RFC 9470, or a problem naming MFA) is answered by the
 * challenge handler, the answer is posted to `{base}/verify`, and the session it gives goes with the
 * replay. One challenge is shared by every request that needs it; a one-shot call answers inline
 * with `X-MFA-Token` instead and keeps no session.
 */
export function createStepUp(
  core: EngineCore,
  challenges: ChallengeCoordinator,
  session: MfaSession,
) {
  const { clock } = core;
  const active = challenges.active_;
  const { get_: current, set_: set } = session;

  /**
   * The verify loop and the one-shot answer, loaded with the first challenge: a session that never
   * needs one does not carry them.
   */
  const prompts = () =>
    import("./verifyLoop").catch((cause) => {
      throw new MfaError("STEP_UP_FAILED", "Verification could not be loaded.", { cause });
    });

  /** Waits on the shared challenge (opened if needed) for the API at `url`. */
  const join = (
    challenge: StepUpChallenge,
    problem: MfaProblem | null,
    url: string,
    signal: AbortSignal | null | undefined,
  ) =>
    challenges.join_(
      challenge,
      problem,
      (p) => {
        // The session this challenge met: any other one was verified since (here or in a tab).
        const begun = current()?.token;
        return prompts().then((m) => m.verifyLoop(core, challenges, session, url, begun, p));
      },
      signal,
    );

  const handler: FailureLink = async (ctx, f) => {
    if (ctx.internal) return;
    const problem = await problemOf(f);
    const name = problemName(problem);
    const challenge =
      parseStepUpChallenge(f.wwwAuthenticate_) ??
      (name && CHALLENGE_PROBLEMS.includes(name)
        ? { acrValues: problem?.acrValues ?? [], maxAge: problem?.maxAge }
        : null);
    if (!challenge) return;
    const token = current()?.token;
    if (name === "invalid_session" && ctx.session && ctx.session === token) set(null);
    else if (!active() && token && ctx.session !== token && challenge.maxAge !== 0 && !ctx.resent) {
      // A newer session exists than the one this attempt carried (verified or refreshed since).
      ctx.resent = true;
      return "replay";
    }
    if (ctx.stepped) {
      throw new MfaError("STEP_UP_FAILED", "Verification asked for again.", {
        status: 401,
        problem,
        challenge,
      });
    }
    ctx.stepped = true;
    if (!ctx.oneShot) {
      await join(challenge, problem, ctx.url(), ctx.signal);
      return "replay";
    }
    // A one-shot call: the answer goes inline with the replay (X-MFA-Token); no session is kept.
    return prompts().then((m) => m.answerInline(core, challenges, ctx, challenge, problem));
  };

  return {
    handler_: handler,
    /** Verifies now unless the session already satisfies `maxAge` / `acrValues`. */
    async now_(
      options: { maxAge?: number; acrValues?: string[]; signal?: AbortSignal },
      url: () => string,
    ): Promise<void> {
      const { maxAge, acrValues = [] } = options;
      // Judged on the session and the time of the call, whenever the check's code arrives.
      const s = current();
      const now = clock.now();
      if ((await prompts()).unsatisfied(s, now, maxAge, acrValues)) {
        await join({ acrValues, maxAge }, null, url(), options.signal);
      }
    },
  };
}
