import { MfaProblemTypes, parseStepUpChallenge } from "@mfa-kit/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { testKit, totpCode, userWithTotp, wrong } from "../testing/fixtures";
import { headerCharCodes } from "../testing/http";
import { requireMfa } from "./requireMfa";

const authenticate = (req: Request) =>
  /^Bearer token-(\w+)$/.exec(req.headers.get("authorization") ?? "")?.[1] ?? null;

const request = (headers: Record<string, string>) =>
  new Request("https://api.example.com/transfers", { method: "POST", headers });

async function setup() {
  const kit = testKit();
  const { secret } = await userWithTotp(kit);
  const code = () => totpCode(secret, kit.clock.now);
  const verified = await kit.mfa.verify({ userId: "alice", code: code() });
  kit.tick(30_000);
  const token = verified.ok ? verified.session.token : "";
  return { kit, code, token };
}

describe("requireMfa", () => {
  it("lets a request with a live session through with its claims", async () => {
    const { kit, token } = await setup();
    const guard = requireMfa(kit.mfa);
    const result = await guard(request({ "X-Session-Token": token }));
    expect(result).toMatchObject({ ok: true, claims: { userId: "alice", acr: "mfa" } });
  });

  it("answers a request without a session with 401 mfa_required and the user's factors", async () => {
    const { kit } = await setup();
    const result = await requireMfa(kit.mfa, { authenticate })(
      request({ Authorization: "Bearer token-alice" }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(401);
    expect(parseStepUpChallenge(result.response.headers)).toEqual({ acrValues: ["mfa"] });
    expect(await result.response.json()).toMatchObject({
      type: MfaProblemTypes.mfa_required,
      factors: [{ type: "totp" }],
      backupCodes: true,
    });
  });

  it("asks for a step-up with max_age when the session is older than maxAgeMs", async () => {
    const { kit, token } = await setup();
    kit.tick(300_000);
    const result = await requireMfa(kit.mfa, { maxAgeMs: 300_000 })(
      request({ "X-Session-Token": token }),
    );
    if (result.ok) throw new Error("expected a step-up");
    expect(result.response.status).toBe(401);
    expect(parseStepUpChallenge(result.response.headers)).toEqual({
      acrValues: ["mfa"],
      maxAge: 300,
    });
    expect(await result.response.json()).toMatchObject({
      type: MfaProblemTypes.step_up_required,
      maxAge: 300,
    });
  });

  it("answers a revoked session with 401 invalid_session", async () => {
    const { kit, token } = await setup();
    await kit.mfa.revokeSessions("alice");
    const result = await requireMfa(kit.mfa)(request({ "X-Session-Token": token }));
    expect(!result.ok && (await result.response.json()).type).toBe(MfaProblemTypes.invalid_session);
  });

  it("refuses a session of another user when authenticate is given", async () => {
    const { kit, token } = await setup();
    const result = await requireMfa(kit.mfa, { authenticate })(
      request({ "X-Session-Token": token, Authorization: "Bearer token-mallory" }),
    );
    expect(!result.ok && result.response.status).toBe(401);
  });

  it("accepts a one-shot code in X-MFA-Token once, without issuing a session", async () => {
    const { kit, code } = await setup();
    const guard = requireMfa(kit.mfa, { authenticate, maxAgeMs: 60_000 });
    const headers = { Authorization: "Bearer token-alice", "X-MFA-Token": code() };
    const sessions = Object.keys(kit.store.dump().sessions).length;
    const first = await guard(request(headers));
    expect(first).toMatchObject({ ok: true, claims: { userId: "alice", authTime: kit.clock.now } });
    expect(Object.keys(kit.store.dump().sessions)).toHaveLength(sessions);
    const replay = await guard(request(headers));
    expect(!replay.ok && replay.response.status).toBe(400);
    expect(!replay.ok && (await replay.response.json()).type).toBe(MfaProblemTypes.code_reused);
  });

  it("answers a wrong one-shot code with 400 invalid_code and counts it", async () => {
    const { kit, code } = await setup();
    const result = await requireMfa(kit.mfa, { authenticate })(
      request({ Authorization: "Bearer token-alice", "X-MFA-Token": wrong(code()) }),
    );
    expect(!result.ok && (await result.response.json())).toMatchObject({
      type: MfaProblemTypes.invalid_code,
      attemptsLeft: 2,
    });
  });

  it("never throws and never answers 5xx for arbitrary header values", async () => {
    const { kit } = await setup();
    const guard = requireMfa(kit.mfa, { authenticate, maxAgeMs: 1000 });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom("X-Session-Token", "X-MFA-Token", "Authorization"),
          headerCharCodes(60),
        ),
        async (headers) => {
          let req: Request;
          try {
            req = request(headers);
          } catch {
            return;
          }
          const result = await guard(req);
          if (!result.ok) expect(result.response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });
});
