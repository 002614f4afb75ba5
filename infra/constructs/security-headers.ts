import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { Construct } from 'constructs';
import { appContentSecurityPolicy } from '../../client/app-config.ts';
import { docsContentSecurityPolicy } from '../docs-page.ts';

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
 * The docs page gets its own policy (infra/docs-page.ts, which the local gateway sends too): its
 * scripts are files of its own origin (`npm run docs` moves Redoc's inline ones out), so
 * `script-src 'self'`, no inline script and no eval; styles keep 'unsafe-inline' because Redoc's
 * styled-components inject them at run time; nothing from another host, connections only to its own
 * origin, `base-uri 'none'`.
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
      comment: 'Taskboard API docs: CSP (no inline script), HSTS, nosniff, no framing, referrer policy',
      securityHeadersBehavior: {
        ...common,
        contentSecurityPolicy: {
          contentSecurityPolicy: docsContentSecurityPolicy,
          override: true,
        },
      },
    });
  }
}
