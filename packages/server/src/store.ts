// What a store implementation is written against: the `MfaStore` interface and the records it
// reads and writes. Prove an implementation with `describeStoreContract` from `@mfa-kit/server/testing`.
export type {
  AttemptFailure,
  AttemptResult,
  BackupCodeSet,
  CheckBase,
  CredentialCheck,
  FactorRecord,
  LimitPolicy,
  MfaStore,
  StoredCode,
  StoredSession,
  SuccessSteps,
  UserFactors,
  VerifyAttempt,
} from "./stores/types";
// The webhook outbox a store may offer (the memory, PostgreSQL and Redis stores do).
export type { OutboxMessage, WebhookOutbox } from "./webhooks/types";
