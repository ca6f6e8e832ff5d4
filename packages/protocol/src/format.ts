// The writers of the wire contract: what a server sends. Clients only read these fields, so the
// writers live apart from the main entry and stay out of every browser bundle.
export { formatRateLimit, formatRateLimitPolicy } from "./rateLimit";
export { formatStepUpChallenge } from "./stepUp";
