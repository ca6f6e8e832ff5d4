// The test kit for store authors (needs vitest): `describeStoreContract(name, makeStore)` runs the
// suite every store of the kit passes (memory, Redis) against your own `MfaStore`.
export { describeStoreContract } from "./stores/storeContract.testkit";
