import type { MfaEvent } from "@mfa-kit/client";

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
/** What an answer's status means, for people: a 503 is an outage, only a 429 a rate limit. */
const meaning = (status: number | undefined) =>
  status === 429 ? "rate limited" : status === 503 ? "unavailable" : undefined;
const path = (url: string) => {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
};

/** A line for the client-activity panel, and whether it is worth a second look. */
export function describeClientEvent(event: MfaEvent): { text: string; kind: "info" | "warning" } {
  switch (event.type) {
    case "request.retry":
      return {
        kind: "warning",
        text: `Retry ${event.attempt} of ${event.method} ${path(event.url)} in ${seconds(event.delayMs)} (${
          event.reason === "status"
            ? `answered ${event.status}${meaning(event.status) ? `: ${meaning(event.status)}` : ""}`
            : event.reason
        }).`,
      };
    case "token.refreshed":
      return { kind: "info", text: "Access token expired: refreshed once, the calls replayed." };
    case "session.refreshed":
      return { kind: "info", text: "MFA session extended before it expired." };
    case "stepup.required": {
      const maxAge = event.challenge.challenge.maxAge;
      return {
        kind: "info",
        text:
          maxAge === undefined
            ? "The API asked for MFA: prompting for a code."
            : `The API asked for a verification at most ${maxAge} s old: prompting.`,
      };
    }
    case "stepup.succeeded":
      return {
        kind: "info",
        text: `Verified (${event.session.amr.join(", ")}): waiting calls replayed with the new session.`,
      };
    case "stepup.failed":
      return { kind: "warning", text: `Verification failed: ${event.error.message}` };
    case "stepup.cancelled":
      return { kind: "warning", text: "Verification cancelled: the waiting calls were rejected." };
    case "clock.skew":
      return {
        kind: "info",
        text: `Server clock measured ${seconds(Math.abs(event.offsetMs))} ${
          event.offsetMs >= 0 ? "ahead" : "behind"
        }: expiries are now read on the server's time.`,
      };
    case "clock.unavailable":
      return {
        kind: "warning",
        text: "The API hides its Date header: the server's clock cannot be measured (expose Date).",
      };
    case "reauthorize.started":
      return { kind: "info", text: "The API asked for a stronger sign-in: re-authorizing." };
    case "reauthorize.succeeded":
      return { kind: "info", text: "Re-authorized: waiting calls replayed with the new token." };
    case "reauthorize.failed":
      return { kind: "warning", text: `Re-authorization failed: ${event.error.message}` };
    case "ratelimit.wait":
      return {
        kind: "warning",
        // Sent for any Retry-After (a 503 as well as a 429): the retry line after it says which.
        text: `The server asked to wait (Retry-After): holding calls for ${seconds(
          Math.max(0, event.untilMs - Date.now()),
        )}.`,
      };
  }
}
