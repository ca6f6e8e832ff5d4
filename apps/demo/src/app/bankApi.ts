import type { MfaClient } from "@mfa-kit/client";
import { isProblem, MfaHeaders, type MfaProblem } from "@mfa-kit/protocol";
import axios, { type AxiosRequestConfig, isAxiosError } from "axios";
import type { SessionInfo } from "../api/accountRoutes";
import type { TokenPair, User } from "../api/accounts";
import type { Transfer, TransferOrder } from "../api/transferBook";

/** What `GET /api/profile` answers. */
export interface Profile {
  user: User;
  balance: { amount: number; currency: string };
  session: SessionInfo;
}

/** A refusal of the protected API, with its problem details. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly problem: MfaProblem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `The server answered ${status}.`);
  }
}

/**
 * The demo's protected routes through an axios instance wrapped by the MFA client: headers,
 * refresh, step-up and retries apply, as for `mfa.fetch` (which `mfa.api` and the demo controls use).
 */
export function createBankApi(mfa: MfaClient, baseUrl: string) {
  const http = mfa.wrap(axios.create({ baseURL: baseUrl }));
  const call = async <T>(config: AxiosRequestConfig): Promise<T> => {
    try {
      const res = await http.request<T>(config);
      return (res.status === 204 ? undefined : res.data) as T;
    } catch (error) {
      if (isAxiosError(error) && error.response) {
        const body: unknown = error.response.data;
        throw new ApiError(error.response.status, isProblem(body) ? body : null);
      }
      throw error; // an MfaError: step-up cancelled, retries exhausted, no network...
    }
  };
  return {
    profile: () => call<Profile>({ url: "/api/profile" }),
    transfers: () => call<{ transfers: Transfer[]; balance: number }>({ url: "/api/transfers" }),
    /**
     * Sends a transfer with an `Idempotency-Key`, so the client may retry it after a 503 or a
     * lost answer without paying twice. Pass the same key to repeat the same order.
     */
    createTransfer: (order: TransferOrder, idempotencyKey: string = crypto.randomUUID()) =>
      call<{ transfer: Transfer; balance: number }>({
        url: "/api/transfers",
        method: "POST",
        data: order,
        headers: { [MfaHeaders.idempotencyKey]: idempotencyKey },
      }),
    /**
     * Changes the password. The server ends every other sign-in and MFA session and answers a new
     * token pair for this one: hand it to the auth client (`auth.adopt`).
     */
    changePassword: (newPassword: string) =>
      call<TokenPair>({ url: "/api/password", method: "PUT", data: { newPassword } }),
  };
}

/** The protected API's calls. */
export type BankApi = ReturnType<typeof createBankApi>;
