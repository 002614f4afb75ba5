/**
 * The docs page's contract with whoever serves it: where its scripts live and the
 * Content-Security-Policy it runs under. Dependency-free: the build (scripts/docs.ts), the stack
 * (api-definition.ts, constructs/security-headers.ts) and the local gateway all import it, so the
 * page is served locally under the same policy as on CloudFront.
 */

/** The URL path the page's scripts are referenced by: under `/docs`, so CloudFront's `/docs*` behaviour
 * serves them, and absolute, so they resolve the same from `/docs` and `/docs/`. */
export const docsScriptPath = '/docs/';

/** The file name of a script of the page: `<part>.<12 hex digits of its SHA-256>.js`. */
export const docsScriptName = /^[a-z][a-z-]*\.[0-9a-f]{12}\.js$/;

/**
 * The docs page's Content-Security-Policy: every script is a file of its own origin (nothing inline,
 * no eval), nothing is loaded from another host, and the page connects only to its own origin (the
 * spec's "try it" calls the API on the same distribution).
 */
export const docsContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  // Redoc's styled-components write their rules into <style> elements at run time, and its server-side
  // rendered markup carries style attributes: both need 'unsafe-inline' for styles (not scripts).
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The names of the scripts `page` references under {@link docsScriptPath}, in order. */
export function docsScriptNames(page: string): string[] {
  const names = [...page.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="\/docs\/([^"/]+)"/g)].map(
    (match) => match[1] as string,
  );
  return [...new Set(names)].filter((name) => docsScriptName.test(name));
}
