import { describe, expect, test } from "vitest";
import { createAccounts } from "./accounts";

const setup = () => {
  let t = 1_700_000_000_000;
  const accounts = createAccounts({
    now: () => t,
    accessTokenTtlMs: 60_000,
    refreshTokenTtlMs: 3_600_000,
    passwordIterations: 1_000,
  });
  return { accounts, advance: (ms: number) => (t += ms) };
};

describe("accounts", () => {
  test("signs in with the right password and refuses a wrong one or an unknown user", async () => {
    const { accounts } = setup();
    const user = await accounts.createUser({ username: "ada", password: "lovelace-1815" });
    const pair = await accounts.signIn("ADA", "lovelace-1815");
    expect(pair?.user).toEqual(user);
    expect(accounts.authenticate(pair!.accessToken)).toEqual(user);
    expect(await accounts.signIn("ada", "lovelace-1816")).toBeNull();
    expect(await accounts.signIn("bob", "lovelace-1815")).toBeNull();
  });

  test("an access token stops working when it expires", async () => {
    const { accounts, advance } = setup();
    await accounts.createUser({ username: "ada", password: "lovelace-1815" });
    const pair = await accounts.signIn("ada", "lovelace-1815");
    advance(59_999);
    expect(accounts.authenticate(pair!.accessToken)).not.toBeNull();
    advance(1);
    expect(accounts.authenticate(pair!.accessToken)).toBeNull();
  });

  test("a refresh rotates both tokens and the new access token works", async () => {
    const { accounts } = setup();
    await accounts.createUser({ username: "ada", password: "lovelace-1815" });
    const first = await accounts.signIn("ada", "lovelace-1815");
    const next = accounts.refresh(first!.refreshToken);
    expect(next.ok).toBe(true);
    if (!next.ok) return;
    expect(next.tokens.refreshToken).not.toBe(first!.refreshToken);
    expect(accounts.authenticate(next.tokens.accessToken)?.username).toBe("ada");
  });

  test("presenting a spent refresh token revokes the whole sign-in", async () => {
    const { accounts } = setup();
    await accounts.createUser({ username: "ada", password: "lovelace-1815" });
    const first = await accounts.signIn("ada", "lovelace-1815");
    const second = accounts.refresh(first!.refreshToken);
    if (!second.ok) throw new Error("refresh failed");
    expect(accounts.refresh(first!.refreshToken)).toMatchObject({ ok: false, reason: "reused" });
    expect(accounts.authenticate(second.tokens.accessToken)).toBeNull();
    expect(accounts.refresh(second.tokens.refreshToken)).toMatchObject({ ok: false });
  });

  test("an expired refresh token is refused as expired", async () => {
    const { accounts, advance } = setup();
    await accounts.createUser({ username: "ada", password: "lovelace-1815" });
    const pair = await accounts.signIn("ada", "lovelace-1815");
    advance(3_600_000);
    expect(accounts.refresh(pair!.refreshToken)).toMatchObject({ ok: false, reason: "expired" });
  });

  test("signing out revokes the access and refresh tokens of that sign-in only", async () => {
    const { accounts } = setup();
    await accounts.createUser({ username: "ada", password: "lovelace-1815" });
    const laptop = await accounts.signIn("ada", "lovelace-1815");
    const phone = await accounts.signIn("ada", "lovelace-1815");
    expect(accounts.signOut(laptop!.refreshToken)?.username).toBe("ada");
    expect(accounts.authenticate(laptop!.accessToken)).toBeNull();
    expect(accounts.authenticate(phone!.accessToken)).not.toBeNull();
  });

  test("refuses bad usernames, short passwords and taken names with clear messages", async () => {
    const { accounts } = setup();
    await expect(accounts.createUser({ username: "a b", password: "long enough" })).rejects.toThrow(
      /username/,
    );
    await expect(accounts.createUser({ username: "ada", password: "short" })).rejects.toThrow(
      /8 to 128/,
    );
    await accounts.createUser({ username: "ada", password: "long enough" });
    await expect(accounts.createUser({ username: "Ada", password: "long enough" })).rejects.toThrow(
      /taken/,
    );
  });

  test("a new password replaces the old one", async () => {
    const { accounts } = setup();
    const user = await accounts.createUser({ username: "ada", password: "lovelace-1815" });
    await accounts.setPassword(user.id, "babbage-1791");
    expect(await accounts.signIn("ada", "lovelace-1815")).toBeNull();
    expect(await accounts.signIn("ada", "babbage-1791")).not.toBeNull();
  });
});
