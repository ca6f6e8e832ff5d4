import type { FactorSummary, ListFactorsResponse } from "@mfa-kit/protocol";
import { startRegistration } from "@simplewebauthn/browser";
import { useState } from "react";
import { invalidate, useQuery } from "../cache/queryCache";
import { useMfaContext } from "../mfaContext";
import { isCeremonyCancelled, useWebAuthnSupport } from "../webauthn";

/** What {@link useFactors} returns. */
export interface FactorsState {
  /** The user's factors (never a secret; contacts masked); empty until loaded. */
  factors: FactorSummary[];
  /** Unused backup codes left; `null` until loaded. */
  backupCodesRemaining: number | null;
  /** The list is being fetched. */
  loading: boolean;
  /** A change (remove, rename, register, regenerate) is in progress. */
  busy: boolean;
  /** Why the last load or change failed (an `MfaError`), or `null`. */
  error: Error | null;
  /** Fetches the list again (for every component showing it). */
  refresh(): Promise<void>;
  /** Removes a factor; the client asks for step-up first. `false` when cancelled or refused. */
  remove(factorId: string): Promise<boolean>;
  /** Renames a factor; the client steps up when there is no MFA session. `false` when cancelled or refused. */
  rename(factorId: string, label: string): Promise<boolean>;
  /** Registers a security key or passkey (WebAuthn); `null` when the user dismissed the browser's prompt or it failed. */
  registerWebAuthn(label?: string): Promise<FactorSummary | null>;
  /** Replaces the backup codes (behind step-up) and returns the new set, to show once; `null` if cancelled or refused. */
  regenerateBackupCodes(): Promise<string[] | null>;
  /** This browser supports WebAuthn (`false` during SSR). */
  webauthnSupported: boolean;
}

const cancelled = (error: unknown) =>
  (error as { code?: unknown } | null)?.code === "STEP_UP_CANCELLED" || isCeremonyCancelled(error);

/**
 * The user's factors: list, remove (with step-up), rename, register a security key, regenerate
 * backup codes. Every component using it shares one fetch per client; the list is fetched again
 * after each change made here and after each verification. Works inside `<MfaProvider>`.
 */
export function useFactors(): FactorsState {
  const { client } = useMfaContext("useFactors()");
  const webauthnSupported = useWebAuthnSupport();
  const query = useQuery<ListFactorsResponse>(client, client.api.listFactors);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Error | null>(null);
  const refresh = () => invalidate(client);

  // Runs a change; a cancelled step-up or ceremony resolves `null` without an error.
  const change = async <T>(task: () => Promise<T>): Promise<T | null> => {
    setBusy(true);
    setFailure(null);
    try {
      return await task();
    } catch (error) {
      if (!cancelled(error)) setFailure(error as Error);
      return null;
    } finally {
      await refresh();
      setBusy(false);
    }
  };
  const done = async (task: () => Promise<unknown>) => (await change(task)) !== null;

  return {
    factors: query.data_?.factors ?? [],
    backupCodesRemaining: query.data_?.backupCodesRemaining ?? null,
    loading: query.loading_ || (!query.data_ && !query.error_),
    busy,
    error: failure ?? query.error_,
    refresh,
    remove: (factorId) => done(() => client.api.removeFactor(factorId).then(() => true)),
    rename: (factorId, label) => done(() => client.api.renameFactor(factorId, label)),
    registerWebAuthn: (label) =>
      change(async () => {
        const options = await client.api.webauthnRegistrationOptions();
        const response = await startRegistration({
          optionsJSON: options as unknown as Parameters<typeof startRegistration>[0]["optionsJSON"],
        });
        const { factor } = await client.api.verifyWebauthnRegistration({
          response: response as unknown as Record<string, unknown>,
          label,
        });
        return factor;
      }),
    regenerateBackupCodes: () =>
      change(async () => (await client.api.regenerateBackupCodes()).backupCodes),
    webauthnSupported,
  };
}
