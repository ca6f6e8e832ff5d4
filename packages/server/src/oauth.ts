// `@mfa-kit/server/oauth`: step-up on a resource server whose access tokens are an OpenID
// Provider's JWTs (RFC 9470). A subpath: apps of the kit's own sessions never load jose.
export {
  type AcrClaims,
  type AcrGuardResult,
  type RequireAcrOptions,
  requireAcr,
} from "./oauth/requireAcr";
