import { defaultCrypto } from "../crypto/default";
import { newWebhookSecret } from "./signature";

/** A new endpoint signing secret: `whsec_` and the base64 of 32 random bytes. Give it to the receiver too. */
export const createWebhookSecret = (): string => newWebhookSecret(defaultCrypto);
