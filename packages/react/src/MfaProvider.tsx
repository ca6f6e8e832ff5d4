"use client";

import type { MfaClient } from "@mfa-kit/client";
import { type ReactNode, useEffect, useMemo, useState } from "react";
import { createChallengePrompt } from "./challengePrompt";
import { MfaContext } from "./mfaContext";
import { useMfaStyles } from "./styles";

/** Props of {@link MfaProvider}. */
export interface MfaProviderProps {
  /** The client from `createMfaClient()`; the provider becomes its challenge handler while mounted. */
  client: MfaClient;
  children?: ReactNode;
  /** Adds the default stylesheet (CSS variables, `mfa-*` classes) to the document. Defaults to `true`. */
  injectStyles?: boolean;
  /** A CSP nonce for the injected stylesheet. Defaults to none. */
  styleNonce?: string;
}

/**
 * Makes an MFA client available to the hooks and components below it, and answers the client's
 * step-up challenges with them: while it is mounted, a call that needs step-up waits for the user
 * to answer in `<StepUpModal />` (or a prompt built with `useStepUp()`).
 */
export function MfaProvider({
  client,
  children,
  injectStyles = true,
  styleNonce,
}: MfaProviderProps) {
  const [prompt] = useState(createChallengePrompt);
  useEffect(() => {
    const restore = client.setChallengeHandler(prompt.handler_);
    return () => {
      restore();
      // Nobody is left to answer: the calls waiting on this prompt fail with STEP_UP_CANCELLED.
      prompt.dismiss_();
    };
  }, [client, prompt]);
  useMfaStyles(injectStyles, styleNonce);
  const value = useMemo(() => ({ client, prompt }), [client, prompt]);
  return <MfaContext.Provider value={value}>{children}</MfaContext.Provider>;
}
