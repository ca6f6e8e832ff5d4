import { isProblem, type ListFactorsResponse } from "@mfa-kit/protocol";
import { answerError } from "./answerError";
import {
  type ChallengeCoordinator,
  cancelled,
  type Pending,
  required,
} from "./challengeCoordinator";
import type { EngineCore } from "./core";
import { MfaError } from "./mfaError";
import type { MfaSession } from "./mfaSession";
import { later } from "./retryer";
import { sessionInfo, toSession } from "./session";

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
  const { ask_: ask } = challenges;
  const set = session.set_;
  const { signal } = p;
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
