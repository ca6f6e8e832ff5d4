/**
 * The problem types of an OAuth resource server's 401s (RFC 6750, RFC 9470), beside the reference
 * API's own (`MfaProblemTypes`). A client tells them apart: a step-up whose body is one of these
 * (or no problem of the kit at all) goes back to the authorization server; one of the kit's own
 * goes to its `/mfa/verify`.
 */
export const OAuthProblemTypes = {
  /** The access token is missing, malformed, expired, or its signature, issuer or audience is wrong. */
  invalid_token: "urn:mfa-kit:problem:invalid-token",
  /** RFC 9470: the token's `acr` or `auth_time` does not meet the resource's requirements. */
  insufficient_user_authentication: "urn:mfa-kit:problem:insufficient-user-authentication",
} as const;
