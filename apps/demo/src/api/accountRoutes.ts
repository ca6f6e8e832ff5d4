import { MfaHeaders } from "@mfa-kit/protocol";
import type { MfaServer } from "@mfa-kit/server";
import { type Accounts, passwordProblem, type User } from "./accounts";
import { DemoProblems } from "./demoProblems";
import type { EventFeed } from "./eventFeed";
import { badRequest, json, problemResponse, readJsonObject } from "./http";
import { readTransferOrder, type TransferBook } from "./transferBook";

/** The MFA session a protected request was made with, as the guard vouches for it. */
export interface SessionInfo {
  acr: string;
  amr: string[];
  /** Epoch milliseconds (server clock) of the last verification. */
  authTime: number;
  /** Epoch milliseconds (server clock) when the session ends. */
  expiresAt: number;
}

/** The longest `Idempotency-Key` the API remembers. */
const MAX_IDEMPOTENCY_KEY = 255;

/** The protected routes: `GET /api/profile`, `GET|POST /api/transfers`, `PUT /api/password`. */
export function createAccountRoutes(ctx: {
  accounts: Accounts;
  transfers: TransferBook;
  events: EventFeed;
  /** The kit, to end the user's other MFA sessions when the password changes. */
  mfa: Pick<MfaServer, "revokeSessions">;
}) {
  const { accounts, transfers, events, mfa } = ctx;

  const profile = (user: User, session: SessionInfo) =>
    json({
      user,
      balance: { amount: transfers.balance(user.id), currency: "EUR" },
      session,
    });

  const listTransfers = (user: User) =>
    json({ transfers: transfers.list(user.id), balance: transfers.balance(user.id) });

  const createTransfer = async (req: Request, user: User) => {
    const key = req.headers.get(MfaHeaders.idempotencyKey);
    if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY)) {
      return badRequest(`An Idempotency-Key is 1 to ${MAX_IDEMPOTENCY_KEY} characters.`);
    }
    const read = await readJsonObject(req);
    if (!read.ok) return read.response;
    const order = readTransferOrder(read.body);
    if (!order.ok) {
      return badRequest("The transfer is not valid.", { errors: order.errors });
    }
    const outcome = transfers.execute(user.id, order.order, key);
    if (!outcome.ok) {
      return problemResponse(
        outcome.reason === "insufficient_funds"
          ? DemoProblems.insufficientFunds(outcome.balance)
          : DemoProblems.idempotencyMismatch(),
      );
    }
    if (!outcome.replayed) {
      events.publish({
        type: "account.transfer",
        severity: "info",
        message: `Sent ${outcome.transfer.amount.toFixed(2)} EUR to ${outcome.transfer.to}.`,
        userId: user.id,
      });
    }
    return json(
      { transfer: outcome.transfer, balance: outcome.balance },
      outcome.replayed ? 200 : 201,
      outcome.replayed ? { "Idempotent-Replayed": "true" } : {},
    );
  };

  const changePassword = async (req: Request, user: User) => {
    const read = await readJsonObject(req);
    if (!read.ok) return read.response;
    const reason = passwordProblem(read.body.newPassword);
    if (reason) return badRequest(reason);
    // Every other sign-in and every other MFA session ends with the old password; the caller
    // keeps its MFA session and gets a new token pair in the answer.
    const tokens = await accounts.setPassword(user.id, read.body.newPassword as string);
    const except = req.headers.get(MfaHeaders.sessionToken) ?? undefined;
    const revoked = await mfa.revokeSessions(user.id, except ? { except } : {});
    events.publish({
      type: "account.password",
      severity: "warning",
      message: `The password was changed; ${revoked} other MFA ${revoked === 1 ? "session" : "sessions"} and every other sign-in ended.`,
      userId: user.id,
    });
    return json(tokens);
  };

  return { profile, listTransfers, createTransfer, changePassword };
}
