import {
  isProblem,
  type ListFactorsResponse,
  type MfaProblem,
  type MfaProblemName,
  parseStepUpChallenge,
  problemName,
  type StepUpChallenge,
} from "@mfa-kit/protocol";
import { answerError } from "./answerError";
import type { ChallengeCoordinator, Settle } from "./challengeCoordinator";
import { cancelled, required } from "./challengeCoordinator";
import type { EngineCore } from "./core";
import { type FailureLink, problemOf } from "./failure";
import { MfaError } from "./mfaError";
import type { MfaSession } from "./mfaSession";
import { later } from "./retryer";
import { sessionInfo, toSession } from "./session";

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
  const { o, clock, emit, call } = core;
  const { ask_: ask, view_: view, active_: active } = challenges;
  const { get_: current, set_: set } = session;

  /** The verify loop: ask, verify, and ask again after a rejected answer, until a session. */
  const verifyLoop =
    (url: string): Settle =>
    async (p) => {
      const { signal } = p;
      // The session this challenge met: any other one was verified since (here or in a tab).
      const begun = current()?.token;
      if (!challenges.answerable_()) throw required(p.view_.challenge, p.view_.problem);
      if (!p.view_.problem?.factors) {
        const res = await call(
          new URL(o.paths.factors, url).href,
          "GET",
          undefined,
          signal,
          true,
        ).catch(() => undefined);
        const list = res?.status === 200 && (res.body as ListFactorsResponse | undefined);
        if (list && Array.isArray(list.factors)) {
          p.view_ = {
            ...p.view_,
            factors: list.factors,
            backupCodes: p.view_.backupCodes || list.backupCodesRemaining > 0,
          };
        }
      }
      const tabs = await core.tabs_();
      const prompt = async (): Promise<void> => {
        // The tab that prompted before may have verified just now: its session is in storage, or
        // only in that tab while the browser copies storage across (then that tab tells).
        if (signal.aborted) throw cancelled(signal.reason);
        let stored = tabs && session.stored_();
        if (tabs && !(stored && stored.token !== begun)) stored = await tabs.latest_(begun);
        if (signal.aborted) throw cancelled(signal.reason);
        if (stored && stored.token !== begun) {
          set(stored);
          return;
        }
        p.open_();
        for (;;) {
          const answer = await ask(p.view_, signal);
          p.show_({}, "verifying");
          const res = await call(
            new URL(o.paths.verify, url).href,
            "POST",
            answer,
            signal,
            true,
          ).catch((cause) => {
            throw signal.aborted
              ? cancelled(signal.reason)
              : new MfaError("STEP_UP_FAILED", "Verification got no answer.", { cause });
          });
          const next = res.status < 300 && toSession(res.body);
          if (next) {
            set(next);
            emit("stepup.succeeded", { session: sessionInfo(next) });
            return;
          }
          const error = answerError(res, clock.now());
          if (!error) {
            throw new MfaError("STEP_UP_FAILED", `Verification failed: HTTP ${res.status}.`, {
              status: res.status,
              problem: isProblem(res.body) ? res.body : null,
            });
          }
          emit("stepup.failed", { error });
          const { retryAfterMs, problem } = error;
          // Only a lock counts down: an outage or a failed delivery may be tried again at once.
          const lock = error.code === "LOCKED";
          const lockedUntil =
            lock && retryAfterMs !== undefined ? Date.now() + retryAfterMs : undefined;
          p.show_(
            {
              attempt: p.view_.attempt + 1,
              lastError: error,
              attemptsLeft: error.attemptsLeft,
              retryAfterMs,
              lockedUntil,
              // An answer that asks for more names the factors that may give it.
              ...(problem?.factors && {
                problem,
                factors: problem.factors,
                backupCodes: problem.backupCodes === true,
              }),
            },
            lock ? "locked" : "challenge",
          );
          // The lock ends on its own: then the challenge is open again.
          if (lockedUntil) {
            later(lockedUntil, () => {
              if (p.view_.lockedUntil === lockedUntil) {
                p.show_({ lockedUntil: undefined, retryAfterMs: undefined }, "challenge");
              }
            });
          }
        }
      };
      if (!tabs) return prompt();
      // Across tabs, one prompts at a time; a verification in another tab answers this one.
      await tabs.prompt_(signal, new Promise((done) => (p.answered_ = done)), () =>
        prompt().catch((error: MfaError) => {
          // Cancelled here, while this tab holds the prompt: the other tabs' calls give up too.
          if (error.code === "STEP_UP_CANCELLED" && p.ready_) tabs.cancelled_();
          throw error;
        }),
      );
    };

  /** Waits on the shared challenge (opened if needed) for the API at `url`. */
  const join = (
    challenge: StepUpChallenge,
    problem: MfaProblem | null,
    url: string,
    signal: AbortSignal | null | undefined,
  ) => challenges.join_(challenge, problem, verifyLoop(url), signal);

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
    const alone = view(challenge, problem);
    emit("stepup.required", { challenge: alone });
    const answer = (await ask(alone, ctx.signal ?? new AbortController().signal)) as {
      code?: string;
      backupCode?: string;
    };
    ctx.mfaToken = answer.code ?? answer.backupCode;
    if (!ctx.mfaToken) throw new MfaError("STEP_UP_FAILED", "A one-shot call needs a code.");
    return "replay";
  };

  return {
    handler_: handler,
    join_: join,
    /** Verifies now unless the session already satisfies `maxAge` / `acrValues`. */
    async now_(
      options: { maxAge?: number; acrValues?: string[]; signal?: AbortSignal },
      url: () => string,
    ): Promise<void> {
      const { maxAge, acrValues = [] } = options;
      const s = current();
      if (
        !s ||
        maxAge === 0 ||
        clock.now() - s.authTime > (maxAge ?? Number.POSITIVE_INFINITY) * 1000 ||
        (acrValues[0] && !acrValues.includes(s.acr))
      ) {
        await join({ acrValues, maxAge }, null, url(), options.signal);
      }
    },
  };
}
