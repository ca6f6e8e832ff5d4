import { type MfaProblemName, PROBLEM_CONTENT_TYPE, problem } from "@mfa-kit/protocol";
import { formatStepUpChallenge } from "@mfa-kit/protocol/format";
import { type MfaProblemCode, MfaProblemTable } from "@mfa-kit/protocol/vocabulary";
import { HttpResponse, http } from "msw";
import { describe, expect, expectTypeOf, it } from "vitest";
import { client } from "../test/adapters";
import { ORIGIN } from "../test/fakeApi";
import { useServer } from "../test/server";
import { answerError } from "./answerError";
import type { MfaErrorCode } from "./errorCodes";

const server = useServer();
const entries = Object.values(MfaProblemTable);

// The client's codes for the API's problems are the protocol's table's: a problem the client
// reports with another code than the table gives it fails here.
describe("the client's codes for the API's problems", () => {
  it("are MfaError codes", () => {
    expectTypeOf<MfaProblemCode>().toExtend<MfaErrorCode>();
  });

  it.each(entries.filter((e) => e.status !== 401).map((e) => [e.name, e] as const))(
    "rejects an answer turned down with %s as the table says",
    (name, entry) => {
      const error = answerError(
        { status: entry.status, headers: new Headers(), body: problem(name) },
        0,
      );
      expect(error?.code).toBe(entry.clientCode);
      expect(error?.problem?.type).toBe(entry.type);
    },
  );

  it.each(entries.filter((e) => e.status === 401).map((e) => [e.name, e] as const))(
    "rejects a call the API answers with %s, without a challenge handler, as the table says",
    async (name, entry) => {
      server.use(
        http.get(`${ORIGIN}/vocabulary/${name}`, () =>
          HttpResponse.json(problem(name as MfaProblemName), {
            status: 401,
            headers: {
              "Content-Type": PROBLEM_CONTENT_TYPE,
              "WWW-Authenticate": formatStepUpChallenge({ acrValues: ["mfa"] }),
            },
          }),
        ),
      );
      await expect(client().fetch(`${ORIGIN}/vocabulary/${name}`)).rejects.toMatchObject({
        code: entry.clientCode,
        status: 401,
      });
    },
  );
});
