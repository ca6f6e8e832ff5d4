// The crypto the build uses when none is passed. The `node` build (tsup.config.ts) swaps this
// module for `./nodeDefault`, so the `node` export condition gets node:crypto.
export { portableCrypto as defaultCrypto } from "./portable";
