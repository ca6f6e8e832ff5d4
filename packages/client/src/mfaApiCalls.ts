import { isProblem, type MfaRouteName, mfaPath, problemName } from "@mfa-kit/protocol";
import type { MfaRouteTable } from "@mfa-kit/protocol/vocabulary";
import { answerError } from "./engine/answerError";
import type { Engine } from "./engine/engine";
import { MfaError } from "./engine/mfaError";
import type { MfaApi } from "./mfaApi";

/**
 * The typed API over `mfa.fetch`; a non-2xx answer rejects with an {@link MfaError}. Loaded on
 * demand by the first `mfa.api` call (see {@link createMfaApi} in `./mfaApi`).
 */
export function mfaApiOf(engine: Engine): MfaApi {
  // Each route's method is the protocol's (`MfaRouteTable`): another one does not build.
  const call = async <R extends MfaRouteName, T>(
    route: R,
    method: (typeof MfaRouteTable)[R]["method"],
    factorId = "",
    body?: unknown,
  ): Promise<T> => {
    const path = mfaPath(route, { factorId }, engine.o.paths.base);
    const res = await engine.call(new URL(path, engine.base()).href, method, body);
    if (res.status < 300) return res.body as T;
    const problem = isProblem(res.body) ? res.body : null;
    throw (
      ((res.status > 499 || /code|locked|rate/.test(problemName(problem)!)) &&
        answerError(res, engine.clock.now())) ||
      new MfaError("HTTP", `HTTP ${res.status} from ${path}.`, { status: res.status, problem })
    );
  };

  return {
    enrollTotp: (body = {}) => call("enrollTotp", "POST", "", body),
    enrollContact: (body) => call("enrollContact", "POST", "", body),
    activateFactor: (factorId, code) => call("activateFactor", "POST", factorId, { code }),
    webauthnRegistrationOptions: () => call("webauthnRegistrationOptions", "POST"),
    verifyWebauthnRegistration: (body) => call("webauthnRegistrationVerify", "POST", "", body),
    listFactors: () => call("listFactors", "GET"),
    removeFactor: (factorId) => call("removeFactor", "DELETE", factorId),
    renameFactor: (factorId, label) => call("renameFactor", "PATCH", factorId, { label }),
    startChallenge: (factorId) => call("challenge", "POST", "", { factorId }),
    regenerateBackupCodes: () => call("regenerateBackupCodes", "POST"),
    signOut: () => call<"signOut", void>("signOut", "POST").finally(engine.signOut),
  };
}
