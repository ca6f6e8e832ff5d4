import { type Accounts, credentialProblem } from "./accounts";
import { DemoProblems } from "./demoProblems";
import type { EventFeed } from "./eventFeed";
import { badRequest, json, noContent, problemResponse, readJsonObject } from "./http";

/** The primary-login routes: sign in, sign up, refresh, sign out (under `/api/auth/`). */
export function createAuthRoutes(accounts: Accounts, events: EventFeed) {
  const signIn = async (req: Request) => {
    const read = await readJsonObject(req);
    if (!read.ok) return read.response;
    const { username, password } = read.body;
    if (typeof username !== "string" || typeof password !== "string") {
      return badRequest("Send a username and a password.");
    }
    const tokens = await accounts.signIn(username, password);
    if (!tokens) {
      events.publish({
        type: "auth.signin.failed",
        severity: "warning",
        message: `Failed sign-in for ${JSON.stringify(username.slice(0, 64))}.`,
      });
      return problemResponse(DemoProblems.invalidCredentials());
    }
    events.publish({
      type: "auth.signin",
      severity: "info",
      message: "Signed in with a password.",
      userId: tokens.user.id,
    });
    return json(tokens);
  };

  const signUp = async (req: Request) => {
    const read = await readJsonObject(req);
    if (!read.ok) return read.response;
    const { username, password, name } = read.body;
    const reason = credentialProblem(username, password);
    if (reason) return badRequest(reason);
    if (name !== undefined && (typeof name !== "string" || name.length > 64)) {
      return badRequest("A name is text of at most 64 characters.");
    }
    try {
      await accounts.createUser({
        username: username as string,
        password: password as string,
        ...(typeof name === "string" ? { name } : {}),
      });
    } catch (error) {
      if (error instanceof Error && /taken/.test(error.message)) {
        return problemResponse(DemoProblems.usernameTaken());
      }
      return badRequest(error instanceof Error ? error.message : "The account was not created.");
    }
    const tokens = await accounts.signIn(username as string, password as string);
    return json(tokens, 201);
  };

  const refresh = async (req: Request) => {
    const read = await readJsonObject(req);
    if (!read.ok) return read.response;
    const { refreshToken } = read.body;
    if (typeof refreshToken !== "string" || refreshToken.length > 256) {
      return badRequest("Send the refreshToken.");
    }
    const result = accounts.refresh(refreshToken);
    if (result.ok) return json(result.tokens);
    if (result.reason === "reused") {
      events.publish({
        type: "auth.refresh.reused",
        severity: "critical",
        message: "A spent refresh token was presented again; that sign-in was revoked.",
        ...(result.userId ? { userId: result.userId } : {}),
      });
    }
    return problemResponse(
      DemoProblems.invalidGrant(
        result.reason === "expired"
          ? "The refresh token has expired; sign in again."
          : "The refresh token is not valid; sign in again.",
      ),
    );
  };

  const signOut = async (req: Request) => {
    const read = await readJsonObject(req);
    if (!read.ok) return read.response;
    const { refreshToken } = read.body;
    if (typeof refreshToken !== "string") return badRequest("Send the refreshToken.");
    const user = accounts.signOut(refreshToken);
    if (user) {
      events.publish({
        type: "auth.signout",
        severity: "info",
        message: "Signed out.",
        userId: user.id,
      });
    }
    return noContent();
  };

  return { signIn, signUp, refresh, signOut };
}
