import { type MfaProblem, problem } from "@mfa-kit/protocol";

const base = "urn:mfa-kit:demo:problem:";

/** Problems of the demo's own routes (sign-in, transfers), beside the kit's MFA problems. */
export const DemoProblems = {
  invalidCredentials: (): MfaProblem => ({
    type: `${base}invalid-credentials`,
    title: "Wrong username or password",
    status: 401,
  }),
  invalidGrant: (detail: string): MfaProblem => ({
    type: `${base}invalid-grant`,
    title: "Refresh token refused",
    status: 401,
    detail,
  }),
  usernameTaken: (): MfaProblem => ({
    type: `${base}username-taken`,
    title: "Username taken",
    status: 409,
  }),
  insufficientFunds: (balance: number): MfaProblem => ({
    type: `${base}insufficient-funds`,
    title: "Insufficient funds",
    status: 422,
    detail: `The balance is ${balance.toFixed(2)} EUR.`,
    balance,
  }),
  idempotencyMismatch: (): MfaProblem => ({
    type: `${base}idempotency-key-reused`,
    title: "Idempotency key reused with another request",
    status: 422,
    detail: "This Idempotency-Key was used for a different transfer.",
  }),
  notFound: (path: string): MfaProblem => ({
    type: `${base}not-found`,
    title: "Not found",
    status: 404,
    detail: `Nothing at ${path}.`,
  }),
  methodNotAllowed: (method: string): MfaProblem => ({
    type: `${base}method-not-allowed`,
    title: "Method not allowed",
    status: 405,
    detail: `${method} is not allowed here.`,
  }),
  injected: (status: 429 | 503, retryAfter: number): MfaProblem =>
    status === 429
      ? problem("rate_limited", { detail: "Answered by the demo's fault control.", retryAfter })
      : {
          type: `${base}unavailable`,
          title: "Service unavailable",
          status,
          detail: "Answered by the demo's fault control.",
          retryAfter,
        },
  internal: (): MfaProblem => ({
    type: `${base}internal`,
    title: "Internal error",
    status: 500,
  }),
};
