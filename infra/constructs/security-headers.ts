import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { Construct } from 'constructs';
import { appContentSecurityPolicy } from '../../client/app-config.ts';

export interface SecurityHeadersProps {
  /**
   * Origins the app may call besides its own (the API is on the same distribution): Cognito's
   * `https://cognito-idp.<region>.amazonaws.com` (discovery, JWKS) and the hosted-UI domain (token).
   */
  connectSources: string[];
}

/** HSTS for a year with subdomains; browsers then never speak plain http to the distribution. */
const hsts = { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true };

/**
 * The response headers CloudFront adds to the pages it serves from the bucket: for the web app a
 * strict Content-Security-Policy (nothing inline, nothing from other hosts, requests only to the
 * API and Cognito; the same policy the local gateway sends, client/app-config.ts), and for both the
 * app and the docs HSTS, `X-Content-Type-Options: nosniff`, `frame-ancestors 'none'` (and
 * `X-Frame-Options: DENY`) and `Referrer-Policy: strict-origin-when-cross-origin`.
 *
 * The docs page gets its own policy: Redoc's self-contained page (`redocly build-docs --inlineBundle`)
 * runs its bundle and the spec from inline scripts, and the deployed copy names the distribution in
 * them (substituted at deploy time), so no hash can be computed at synth; its policy allows inline
 * script and style but nothing from another host, and no connection beyond its own origin.
 */
export class SecurityHeaders extends Construct {
  readonly app: cloudfront.ResponseHeadersPolicy;
  readonly docs: cloudfront.ResponseHeadersPolicy;

  constructor(scope: Construct, id: string, props: SecurityHeadersProps) {
    super(scope, id);
    const common = {
      strictTransportSecurity: hsts,
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      referrerPolicy: {
        referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
        override: true,
      },
    };
    this.app = new cloudfront.ResponseHeadersPolicy(this, 'App', {
      comment: 'Taskboard web app: strict CSP, HSTS, nosniff, no framing, referrer policy',
      securityHeadersBehavior: {
        ...common,
        contentSecurityPolicy: {
          contentSecurityPolicy: appContentSecurityPolicy(props.connectSources),
          override: true,
        },
      },
    });
    this.docs = new cloudfront.ResponseHeadersPolicy(this, 'Docs', {
      comment: 'Taskboard API docs: CSP (inline Redoc bundle), HSTS, nosniff, no framing, referrer policy',
      securityHeadersBehavior: {
        ...common,
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
          ].join('; '),
          override: true,
        },
      },
    });
  }
}
