import type { MfaClient } from "@mfa-kit/client";
import { createContext, useContext } from "react";
import type { ChallengePrompt } from "./challengePrompt";

/** What `<MfaProvider>` shares with the hooks and components below it. */
export interface MfaContextValue {
  client: MfaClient;
  prompt: ChallengePrompt;
}

export const MfaContext = createContext<MfaContextValue | null>(null);

/** The provider's value; throws a plain-English error when `name` is used outside one. */
export function useMfaContext(name: string): MfaContextValue {
  const value = useContext(MfaContext);
  if (!value) {
    throw new Error(
      `${name} must be used inside <MfaProvider client={mfa}>: wrap your app in it, passing the client from createMfaClient().`,
    );
  }
  return value;
}
