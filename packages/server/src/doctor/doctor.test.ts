import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../bin/mfa-kit";
import type { MfaServerOptions } from "../options";
import { memoryStore } from "../stores/memory";
import { KEYS } from "../testing/fixtures";
import { type DoctorRow, runDoctor } from "./checklist";

const SECRET = `whsec_${Buffer.alloc(32, 1).toString("base64")}`;

const good: MfaServerOptions = {
  issuer: "Acme",
  store: memoryStore(),
  encryptionKeys: { current: "k1", keys: KEYS },
  webauthn: { rpID: "acme.com", origin: "https://acme.com" },
  otp: { send: () => {}, ttlMs: 600_000 },
  webhooks: [{ url: "https://ops.acme.com/mfa", secret: SECRET, retryWindowMs: 3_600_000 }],
};

type Check =
  | "options accepted"
  | "encryption keys (AES-256)"
  | "two backup methods"
  | "lockout"
  | "code lifetimes"
  | "events delivered"
  | "retry window"
  | "https origins"
  | "demo controls off";

const byCheck = (options: MfaServerOptions) =>
  Object.fromEntries(runDoctor(options).map((r) => [r.check, r])) as Record<Check, DoctorRow>;

describe("mfa-kit doctor checklist", () => {
  it("passes every row of a production configuration", () => {
    const rows = runDoctor(good);
    expect(rows.map((r) => r.check)).toEqual([
      "options accepted",
      "encryption keys (AES-256)",
      "two backup methods",
      "lockout",
      "code lifetimes",
      "events delivered",
      "retry window",
      "https origins",
      "demo controls off",
    ]);
    expect(rows.filter((r) => r.status !== "pass")).toEqual([]);
  });

  it("fails missing or short keys and a current id that is not there", () => {
    const { encryptionKeys: _, ...noKeys } = good;
    expect(byCheck(noKeys)["encryption keys (AES-256)"]).toMatchObject({
      status: "fail",
      reason: expect.stringMatching(/no encryptionKeys/),
    });
    const short = { ...good, encryptionKeys: { current: "k1", keys: { k1: "c2hvcnQ=" } } };
    expect(byCheck(short)["encryption keys (AES-256)"]).toMatchObject({
      status: "fail",
      reason: expect.stringMatching(/k1 not 32 bytes/),
    });
    // createMfaServer refuses it too, and the doctor says so instead of crashing.
    expect(byCheck(short)["options accepted"]).toMatchObject({ status: "fail" });
    const lost = { ...good, encryptionKeys: { current: "k9", keys: KEYS } };
    expect(byCheck(lost)["encryption keys (AES-256)"].status).toBe("fail");
  });

  it("warns with only backup codes besides TOTP, fails without backup codes", () => {
    const { webauthn: _w, otp: _o, ...totpOnly } = good;
    expect(byCheck(totpOnly)["two backup methods"].status).toBe("warn");
    expect(byCheck({ ...totpOnly, backupCodeCount: 0 })["two backup methods"].status).toBe("fail");
  });

  it("holds the lockout to 3 in 5 minutes with progressive backoff", () => {
    expect(byCheck({ ...good, limits: { maxFailures: 10 } }).lockout.status).toBe("fail");
    expect(byCheck({ ...good, limits: { maxFailures: 4 } }).lockout.status).toBe("warn");
    expect(byCheck({ ...good, limits: { lockoutsMs: [60_000] } }).lockout.status).toBe("warn");
    expect(byCheck({ ...good, limits: { windowMs: 10_000 } }).lockout.status).toBe("fail");
  });

  it("keeps code lifetimes within 5-10 minutes", () => {
    expect(byCheck({ ...good, otp: { ttlMs: 3_600_000 } })["code lifetimes"].status).toBe("fail");
    expect(byCheck({ ...good, otp: { ttlMs: 60_000 } })["code lifetimes"].status).toBe("warn");
  });

  it("fails when events reach nobody, and passes a listener", () => {
    const { webhooks: _, ...quiet } = good;
    expect(byCheck(quiet)["events delivered"].status).toBe("fail");
    expect(byCheck({ ...quiet, onEvent: () => {} })["events delivered"].status).toBe("pass");
  });

  it("fails a retry window over 4 hours and plain-http origins", () => {
    const long = {
      ...good,
      webhooks: [{ url: "https://h.acme.com", secret: SECRET, retryWindowMs: 5 * 3_600_000 }],
    };
    expect(byCheck(long)["retry window"].status).toBe("fail");
    const http = { ...good, webauthn: { rpID: "acme.com", origin: "http://acme.com" } };
    expect(byCheck(http)["https origins"]).toMatchObject({
      status: "fail",
      reason: "not https: http://acme.com",
    });
    const local = { ...good, webauthn: { rpID: "localhost", origin: "http://localhost:5173" } };
    expect(byCheck(local)["https origins"].status).toBe("pass");
  });

  it("fails a skewed clock (the demo's control) and warns on the default memory store", () => {
    expect(byCheck({ ...good, now: () => Date.now() + 120_000 })["demo controls off"].status).toBe(
      "fail",
    );
    const { store: _, ...memory } = good;
    expect(byCheck(memory)["demo controls off"].status).toBe("warn");
  });
});

describe("npx mfa-kit doctor", () => {
  const dir = mkdtempSync(join(tmpdir(), "mfa-doctor-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (file: string, source: string) => {
    writeFileSync(join(dir, file), source);
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ["doctor", join(dir, file)],
      (l) => out.push(l),
      (l) => err.push(l),
    );
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  const key = Buffer.alloc(32, 9).toString("base64");

  it("prints one line per row and exits 0 on a configuration without fails", async () => {
    const { code, out } = await run(
      "good.mjs",
      `export default {
        issuer: "Acme",
        encryptionKeys: { current: "k1", keys: { k1: "${key}" } },
        otp: { send() {} },
        webhooks: [{ url: "https://ops.acme.com/mfa", secret: "${SECRET}" }],
      };`,
    );
    expect(code).toBe(0);
    expect(out).toMatch(/^PASS {2}options accepted/m);
    expect(out).toMatch(/^WARN {2}demo controls off +the default memory store/m);
    expect(out).toMatch(/0 fail, 1 warn, 8 pass/);
  });

  it("exits 1 and names the reason on a configuration that fails", async () => {
    const { code, out } = await run(
      "bad.mjs",
      `export default { issuer: "Acme", limits: { maxFailures: 20 }, otp: { ttlMs: 86400000 } };`,
    );
    expect(code).toBe(1);
    expect(out).toMatch(/^FAIL {2}encryption keys \(AES-256\) +no encryptionKeys/m);
    expect(out).toMatch(/^FAIL {2}lockout +20 failures in 5 min/m);
    expect(out).toMatch(/^FAIL {2}events delivered/m);
  });

  it("exits 2 with a message for a missing module or a wrong command", async () => {
    const missing = await main(
      ["doctor", join(dir, "nope.mjs")],
      () => {},
      () => {},
    );
    expect(missing).toBe(2);
    expect(
      await main(
        ["check"],
        () => {},
        () => {},
      ),
    ).toBe(2);
    const { code, err } = await run("empty.mjs", "export const x = 1;");
    expect(code).toBe(2);
    expect(err).toMatch(/no default export/);
  });
});
