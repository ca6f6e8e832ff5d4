import { mfaPath, problemName } from "@mfa-kit/protocol";
import { postgresUnavailableReason } from "@mfa-kit/test-utils";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  call,
  enrollTotp,
  type Instance,
  newUser,
  type PostgresDemoCluster,
  startPostgresDemoCluster,
  totpCode,
} from "./demoCluster";

const skipReason = postgresUnavailableReason();
if (skipReason) console.warn(`Skipping the PostgreSQL multi-instance tests: ${skipReason}`);

let cluster: PostgresDemoCluster;
let admin: pg.Pool;

const verify = (instance: Instance, token: string, body: Record<string, unknown>) =>
  call<{ token?: string; attemptsLeft?: number }>(instance, "POST", mfaPath("verify"), {
    token,
    body,
  });

describe.skipIf(skipReason !== undefined)(
  "two demo instances on one PostgreSQL (MFA_DATABASE_URL)",
  () => {
    beforeAll(async () => {
      cluster = await startPostgresDemoCluster();
      admin = new pg.Pool({ connectionString: cluster.postgres.url, max: 2 });
      admin.on("error", () => {});
    });

    afterAll(async () => {
      await admin?.end();
      await cluster?.stop();
    });

    it("migrates at start and keeps the factors in the configured schema", async () => {
      const user = await newUser(cluster, "schema");
      await enrollTotp(cluster, user);
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM "${cluster.schema}".factors`,
      );
      expect(rows[0].n).toBeGreaterThan(0);
    });

    it("refuses on one instance a TOTP code accepted on the other, and one of 50 parallel uses of a code passes", async () => {
      const user = await newUser(cluster, "replay");
      const { factorId, secret } = await enrollTotp(cluster, user);
      const code = totpCode(secret, 1);
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 2 === 0
            ? verify(cluster.a, user.tokens.a, { factorId, code })
            : verify(cluster.b, user.tokens.b, { factorId, code }),
        ),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.every((a) => [200, 400, 429].includes(a.status))).toBe(true);
      const replay = await verify(cluster.b, user.tokens.b, { factorId, code });
      expect([400, 429]).toContain(replay.status);
      expect(["code_reused", "locked"]).toContain(problemName(replay.body));
    });

    it("answers 503 on both instances while PostgreSQL is down and recovers without a restart", async () => {
      const user = await newUser(cluster, "outage");
      const { backupCodes } = await enrollTotp(cluster, user);
      const session = await verify(cluster.a, user.tokens.a, { backupCode: backupCodes[0] });
      expect(session.status).toBe(200);
      const sessionToken = session.body.token!;

      await cluster.postgres.kill();
      for (const [instance, token] of [
        [cluster.a, user.tokens.a],
        [cluster.b, user.tokens.b],
      ] as const) {
        const guarded = await call(instance, "GET", "/api/profile", {
          token,
          session: sessionToken,
        });
        expect(guarded.status).toBe(503);
        expect(guarded.headers.get("retry-after")).toMatch(/^\d+$/);
        expect(guarded.headers.get("content-type")).toBe("application/problem+json");
        const refused = await verify(instance, token, { backupCode: backupCodes[1] });
        expect(refused.status).toBe(503);
        expect(refused.body.token).toBeUndefined();
      }

      await cluster.postgres.start();
      for (const [instance, token] of [
        [cluster.a, user.tokens.a],
        [cluster.b, user.tokens.b],
      ] as const) {
        await vi.waitFor(
          async () => {
            const answer = await call(instance, "GET", "/api/profile", {
              token,
              session: sessionToken,
            });
            expect(answer.status).toBe(200);
          },
          { timeout: 15_000, interval: 100 },
        );
      }
      // The backup code used before the kill stays used; the one refused during the outage works once.
      expect((await verify(cluster.b, user.tokens.b, { backupCode: backupCodes[0] })).status).toBe(
        400,
      );
      expect((await verify(cluster.b, user.tokens.b, { backupCode: backupCodes[1] })).status).toBe(
        200,
      );
      expect((await verify(cluster.a, user.tokens.a, { backupCode: backupCodes[1] })).status).toBe(
        400,
      );
    });
  },
);
