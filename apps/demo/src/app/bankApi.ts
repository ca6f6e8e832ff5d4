import type { MfaClient } from "@mfa-kit/client";
import { isProblem, MfaHeaders, type MfaProblem } from "@mfa-kit/protocol";
import type { SessionInfo } from "../api/accountRoutes";
import type { User } from "../api/accounts";
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

/** The demo's protected routes, called through the MFA client (headers, refresh, step-up, retries). */
export function createBankApi(mfa: MfaClient) {
  const call = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await mfa.fetch(path, init);
    if (res.status === 204) return undefined as T;
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, isProblem(body) ? body : null);
    return body as T;
  };
  const json = (
    method: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): RequestInit => ({
    method,
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return {
    profile: () => call<Profile>("/api/profile"),
    transfers: () => call<{ transfers: Transfer[]; balance: number }>("/api/transfers"),
    /**
     * Sends a transfer with an `Idempotency-Key`, so the client may retry it after a 503 or a
     * lost answer without paying twice. Pass the same key to repeat the same order.
     */
    createTransfer: (order: TransferOrder, idempotencyKey: string = crypto.randomUUID()) =>
      call<{ transfer: Transfer; balance: number }>(
        "/api/transfers",
        json("POST", order, { [MfaHeaders.idempotencyKey]: idempotencyKey }),
      ),
    changePassword: (newPassword: string) =>
      call<void>("/api/password", json("PUT", { newPassword })),
  };
}

/** The protected API's calls. */
export type BankApi = ReturnType<typeof createBankApi>;
