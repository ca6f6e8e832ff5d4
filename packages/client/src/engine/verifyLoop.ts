import {
  isProblem,
  type ListFactorsResponse,
  type MfaProblem,
  type MfaSessionResponse,
  type StepUpChallenge,
} from "@mfa-kit/protocol";
import { answerError } from "./answerError";
import { type ChallengeCoordinator, cancel, cancelled, type Pending } from "./challengeCoordinator";
import type { EngineCore } from "./core";
import { MfaError } from "./mfaError";
import type { MfaSession } from "./mfaSession";
import type { RequestContext } from "./requestContext";
import { later } from "./retryer";
import { sessionInfo, toSession } from "./session";
import type { ChallengeAnswer, PendingChallenge } from "./types";
import { abortable } from "./wait";

/** The error when the API asks for MFA and nobody can answer. */
const required = (challenge: StepUpChallenge, problem: MfaProblem | null) =>
  new MfaError("STEP_UP_REQUIRED", "MFA required and no challenge handler set.", {
    status: 401,
    problem,
    challenge,
  });

/** Asks the challenge handler; its rejection or an abort of `signal` is `STEP_UP_CANCELLED`. */
async function ask(
  challenges: ChallengeCoordinator,
  challenge: PendingChallenge,
  signal: AbortSignal,
): Promise<ChallengeAnswer> {
  const handler = challenges.handler_();
  if (!handler) throw required(challenge.challenge, challenge.problem);
  try {
    return await abortable(
      handler(challenge, {
        attempt: challenge.attempt,
        lastError: challenge.lastError,
        signal,
      }),
      signal,
    );
  } catch (e) {
    // The handler's own rejection is a cancellation, whatever it threw (kept as the cause).
    throw signal.aborted ? cancelled(signal.reason) : cancel(e);
  }
}

/**
 * The kit's verify loop for the API at `url`, settling `p`: ask the challenge handler, post the answer to
 * `{base}/verify`, and ask again after a rejected answer (showing why, and counting down a lock),
 * until a session. Across tabs, one tab prompts at a time and a verification in another answers
 * this one (`begun`: the session the challenge met; any other one was verified since, here or in
 * a tab). Loaded on demand, when the first challenge is settled (see `createStepUp`).
 */
export async function verifyLoop(
  core: EngineCore,
  challenges: ChallengeCoordinator,
  session: MfaSession,
  url: string,
  begun: string | undefined,
  p: Pending,
): Promise<void> {
  const { o, clock, emit, call } = core;
  const set = session.set_;
  const { signal } = p;
  if (!challenges.handler_()) throw required(p.view_.challenge, p.view_.problem);
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
      const answer = await ask(challenges, p.view_, signal);
      p.show_({}, "verifying");
      const res = await call(new URL(o.paths.verify, url).href, "POST", answer, signal, true).catch(
        (cause) => {
          throw signal.aborted
            ? cancelled(signal.reason)
            : new MfaError("STEP_UP_FAILED", "Verification got no answer.", { cause });
        },
      );
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
}

/** A one-shot call's challenge: asked for this request alone, its code goes inline with the replay. */
export async function answerInline(
  core: EngineCore,
  challenges: ChallengeCoordinator,
  ctx: RequestContext,
  challenge: StepUpChallenge,
  problem: MfaProblem | null,
): Promise<"replay"> {
  const alone = challenges.view_(challenge, problem);
  core.emit("stepup.required", { challenge: alone });
  const answer = (await ask(challenges, alone, ctx.signal ?? new AbortController().signal)) as {
    code?: string;
    backupCode?: string;
  };
  ctx.mfaToken = answer.code ?? answer.backupCode;
  if (!ctx.mfaToken) throw new MfaError("STEP_UP_FAILED", "A one-shot call needs a code.");
  return "replay";
}

/**
 * Whether `mfa.stepUp()` must verify: there is no session `s`, or it is older than `maxAge`
 * seconds at the server's time `now` (0: always), or of none of the `acrValues` (when given).
 */
export const unsatisfied = (
  s: MfaSessionResponse | null,
  now: number,
  maxAge: number | undefined,
  acrValues: string[],
): boolean =>
  !s ||
  maxAge === 0 ||
  now - s.authTime > (maxAge ?? Number.POSITIVE_INFINITY) * 1000 ||
  !!(acrValues[0] && !acrValues.includes(s.acr));
