import { mfaPath } from "@mfa-kit/protocol";
import { describe, expect, it } from "vitest";
import { testKit, totpCode } from "../testing/fixtures";
import { testHandler } from "../testing/http";
import { requireMfa } from "./requireMfa";

// The 401 step-up answers of the handler and of the guard list the user's active factors so that a
// client can ask for the right one. An SMS or e-mail factor is shown by its masked contact (the
// hint), its label and when it was last used; a pending factor and the contact in the clear never.

/** A user with an active SMS factor, verified once (so it has a `lastUsedAt`), and a pending one. */
async function userWithSms() {
  const kit = testKit();
  const sms = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+1 555 123 4567" });
  if (!sms.ok) throw new Error(sms.reason);
  const activated = await kit.mfa.activateFactor("alice", sms.factorId, kit.sent.at(-1)!.code);
  if (!activated.ok) throw new Error(activated.reason);
  kit.tick(60_000);
  const challenge = await kit.mfa.startChallenge("alice", sms.factorId);
  if (!challenge.ok) throw new Error(challenge.reason);
  const verified = await kit.mfa.verify({
    userId: "alice",
    challengeId: challenge.challengeId,
    code: kit.sent.at(-1)!.code,
  });
  if (!verified.ok) throw new Error(verified.reason);
  const usedAt = kit.clock.now;
  kit.tick(30_000);
  await kit.mfa.enrollTotp("alice", { label: "phone" });
  return { kit, factorId: sms.factorId, usedAt };
}

const expectedHints = (factorId: string, usedAt: number) => ({
  factors: [
    {
      id: factorId,
      type: "sms",
      status: "active",
      createdAt: expect.any(Number),
      hint: "+1 ••• ••• 4567",
      lastUsedAt: usedAt,
    },
  ],
  backupCodes: true,
});

describe("step-up hints", () => {
  it("name the active SMS factor by its masked number in the handler's 401", async () => {
    const { kit, factorId, usedAt } = await userWithSms();
    const { call } = testHandler(kit);
    const r = await call("POST", mfaPath("enrollTotp", {}), { body: {} });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject(expectedHints(factorId, usedAt));
    expect(r.body.factors).toHaveLength(1);
    expect(JSON.stringify(r.body)).not.toContain("5551234567");
  });

  it("name the active SMS factor by its masked number in the guard's 401", async () => {
    const { kit, factorId, usedAt } = await userWithSms();
    const guard = requireMfa(kit.mfa, { authenticate: () => "alice" });
    const result = await guard(new Request("https://api.example.com/transfers"));
    if (result.ok) throw new Error("a request without a session passed the guard");
    const body = (await result.response.json()) as Record<string, unknown>;
    expect(body).toMatchObject(expectedHints(factorId, usedAt));
    expect(body.factors).toHaveLength(1);
    expect(JSON.stringify(body)).not.toContain("5551234567");
  });

  it("carry a factor's label in both", async () => {
    const kit = testKit();
    const { factorId, secret } = await kit.mfa.enrollTotp("alice", { label: "Work phone" });
    expect(
      (await kit.mfa.activateFactor("alice", factorId, totpCode(secret, kit.clock.now))).ok,
    ).toBe(true);
    const { call } = testHandler(kit);
    const r = await call("POST", mfaPath("enrollTotp", {}), { body: {} });
    expect(r.body.factors).toEqual([
      expect.objectContaining({ id: factorId, label: "Work phone" }),
    ]);
    const guarded = await requireMfa(kit.mfa, { authenticate: () => "alice" })(
      new Request("https://api.example.com/transfers"),
    );
    if (guarded.ok) throw new Error("a request without a session passed the guard");
    expect(((await guarded.response.json()) as { factors: unknown[] }).factors).toEqual([
      expect.objectContaining({ id: factorId, label: "Work phone" }),
    ]);
  });
});
