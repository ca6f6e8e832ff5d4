// Replaces `./default` in the `node` build: see tsup.config.ts.
export { nodeCrypto as defaultCrypto } from "./node";
