export type {
  AttemptReservation,
  AttemptSettlement,
  BackupCodeSet,
  CodeConsumption,
  FactorRecord,
  LimitPolicy,
  MfaStore,
  StoredCode,
  StoredSession,
} from "./stores/types";
