import { browserSupportsWebAuthn } from "@simplewebauthn/browser";
import { useSyncExternalStore } from "react";

const subscribe = () => () => {};
const onServer = () => false;

/** Whether this browser can run a WebAuthn ceremony; `false` during SSR and hydration. */
export function useWebAuthnSupport(): boolean {
  return useSyncExternalStore(subscribe, browserSupportsWebAuthn, onServer);
}

/**
 * Whether a WebAuthn ceremony failed because the user dismissed it (or it timed out, or another
 * ceremony replaced it): the browser reports all of these as `NotAllowedError` / `AbortError`.
 * That is a choice, not an error to show.
 */
export function isCeremonyCancelled(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === "NotAllowedError" || name === "AbortError";
}
