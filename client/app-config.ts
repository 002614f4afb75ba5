/**
 * The web app's run-time settings, read from `/app/config.json`: written by the stack at deploy time
 * (infra/constructs/web-app.ts) and served by the local gateway (`npm start`), so one build of the
 * app serves every stage. Dependency-free: the app, the local gateway and the stack all import it.
 */
export interface AppConfig {
  /** Where the API is, no trailing slash: `http://localhost:3000` or the CloudFront URL. */
  apiUrl: string;
  /**
   * The OIDC authority (its `/.well-known/openid-configuration` names the endpoints):
   * `https://cognito-idp.<region>.amazonaws.com/<poolId>`, or the local sign-in `http://localhost:3001`.
   */
  authority: string;
  /** The user pool's public SPA client (no secret). */
  clientId: string;
  /** Where the sign-in sends the browser back with the code: the app's own `/app/`. */
  redirectUri: string;
  /** Where the sign-out sends the browser back; registered on the client like the redirect URI. */
  logoutUri: string;
  /**
   * Cognito's sign-out, which is not OIDC's end_session_endpoint: the app sends the browser to
   * `${logoutEndpoint}?client_id=…&logout_uri=…`.
   */
  logoutEndpoint: string;
  /** The scopes the app asks for, space-separated. */
  scope: string;
}

/** The scopes the app asks for: enough for an ID token with `email` and `name`. */
export const appScope = 'openid email profile';

/** The path the app is served under, locally and on CloudFront. */
export const appPath = '/app/';

/**
 * The app's Content-Security-Policy: nothing inline, nothing from another host, and requests only to
 * its own origin and `connectSources` (the API and the sign-in's origins). The local gateway sends
 * the same policy as CloudFront, so a violation shows up locally first.
 */
export function appContentSecurityPolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${connectSources.join(' ')}`.trimEnd(),
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
