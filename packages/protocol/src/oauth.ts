// `@mfa-kit/protocol/oauth`: what an OAuth resource server and its clients add to the wire contract
// (claims challenges). A subpath, so that apps of the kit's own step-up pay nothing for it.
export {
  type ClaimsChallenge,
  INSUFFICIENT_CLAIMS,
  parseClaimsChallenge,
} from "./claimsChallenge";
export { OAuthProblemTypes } from "./oauthProblems";
