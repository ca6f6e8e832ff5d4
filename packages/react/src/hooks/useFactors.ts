import type { FactorSummary, ListFactorsResponse } from "@mfa-kit/protocol";
import { startRegistration } from "@simplewebauthn/browser";
import { useCallback, useEffect, useRef, useState } from "react";
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
  /** A change (remove, register, regenerate) is in progress. */
  busy: boolean;
  /** Why the last load or change failed (an `MfaError`), or `null`. */
  error: Error | null;
  /** Fetches the list again. */
  refresh(): Promise<void>;
  /** Removes a factor; the client asks for step-up first. `false` when cancelled or refused. */
  remove(factorId: string): Promise<boolean>;
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
 * The user's factors: list, remove (with step-up), register a security key, regenerate backup
 * codes. Loads the list on mount. Works inside `<MfaProvider>`.
 */
export function useFactors(): FactorsState {
  const { client } = useMfaContext("useFactors()");
  const webauthnSupported = useWebAuthnSupport();
  const [list, setList] = useState<ListFactorsResponse | null>(null);
  const [loading, setLoading] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  // Only the latest load may set the list: an older answer arriving late is dropped.
  const loads = useRef(0);

  const refresh = useCallback(async () => {
    const mine = ++loads.current;
    setLoading(true);
    try {
      const next = await client.api.listFactors();
      if (mine === loads.current) {
        setList(next);
        setError(null);
      }
    } catch (failure) {
      if (mine === loads.current) setError(failure as Error);
    }
    if (mine === loads.current) setLoading(false);
  }, [client]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // Runs a change; a cancelled step-up or ceremony resolves `null` without an error.
  const change = async <T>(task: () => Promise<T>): Promise<T | null> => {
    setBusy(true);
    setError(null);
    try {
      const result = await task();
      await refresh();
      return result;
    } catch (failure) {
      if (!cancelled(failure)) setError(failure as Error);
      return null;
    } finally {
      setBusy(false);
    }
  };

  return {
    factors: list?.factors ?? [],
    backupCodesRemaining: list?.backupCodesRemaining ?? null,
    loading,
    busy,
    error,
    refresh,
    remove: async (factorId) =>
      (await change(async () => {
        await client.api.removeFactor(factorId);
        return true;
      })) === true,
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
