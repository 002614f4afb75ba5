import { existsSync } from 'node:fs';
import path from 'node:path';
import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { AppConfig } from '../../client/app-config.ts';

/** Vite's content-hashed files: cached for a year, never revalidated. */
export const hashedAssetCacheControl = 'public, max-age=31536000, immutable';

/**
 * The CloudFront Function on the app's behaviours (viewer request): `/app` goes to `/app/`, and a
 * path under /app/ whose last segment names no file (`/app/tasks/42`) is a client-side route,
 * answered with /app/index.html. It runs on those behaviours only: the API's 403 and 404 stay the API's.
 */
export const clientRoutesFunctionCode = `function handler(event) {
  var request = event.request;
  if (request.uri === '/app') {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/app/' } } };
  }
  var name = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (name.indexOf('.') === -1) request.uri = '/app/index.html';
  return request;
}
`;

const placeholderPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Taskboard</title></head>
<body><main><h1>The web app was not built when this stack was deployed</h1>
<p>Build it (<code>npm run web:build</code>) and deploy again (<code>npm run deploy</code> builds it first).
The API and its <a href="/docs">docs</a> are running.</p></main></body></html>
`;

export interface WebAppProps {
  /** The API's distribution: the app gets /app and /app/* on it, the API keeps the default behaviour. */
  distribution: cloudfront.Distribution;
  /** The private bucket the docs live in (objects under app/) and its Origin Access Control origin. */
  bucket: s3.IBucket;
  origin: cloudfront.IOrigin;
  /** The built app (web/dist); when undefined a placeholder page is deployed and synth warns. */
  appDir: string | undefined;
  /** Written to /app/config.json at deploy time (its values are the stack's tokens). */
  config: AppConfig;
  /** The app's security headers (SecurityHeaders.app). */
  responseHeadersPolicy: cloudfront.IResponseHeadersPolicy;
  logRetention: logs.RetentionDays;
}

/**
 * The web app on the API's CloudFront distribution: its files in the private bucket under app/
 * (Origin Access Control), `/app/*` and `/app` behaviours with a CloudFront Function for client-side
 * routes and the strict security headers, hashed assets immutable, index.html and config.json
 * revalidated on every load (a cache policy that honours the objects' Cache-Control), and
 * /app/config.json written from the stack's values, so the one build serves every stage.
 */
export class WebApp extends Construct {
  readonly routes: cloudfront.Function;
  readonly cachePolicy: cloudfront.CachePolicy;

  constructor(scope: Construct, id: string, props: WebAppProps) {
    super(scope, id);

    this.routes = new cloudfront.Function(this, 'ClientRoutes', {
      comment: 'Taskboard app: /app -> /app/, client-side routes -> /app/index.html',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(clientRoutesFunctionCode),
    });
    // Edge TTLs come from the objects: no-cache for index.html and config.json, a year for assets.
    this.cachePolicy = new cloudfront.CachePolicy(this, 'CachePolicy', {
      comment: 'Taskboard app: the objects Cache-Control decides',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.days(365),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const behavior: cloudfront.AddBehaviorOptions = {
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: this.cachePolicy,
      responseHeadersPolicy: props.responseHeadersPolicy,
      compress: true,
      functionAssociations: [{ function: this.routes, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
    };
    props.distribution.addBehavior('/app/*', props.origin, behavior);
    props.distribution.addBehavior('/app', props.origin, behavior);

    const logGroup = new logs.LogGroup(this, 'DeploymentLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const built = props.appDir !== undefined && existsSync(path.join(props.appDir, 'index.html'));
    if (!built) {
      Annotations.of(this).addWarningV2(
        'taskboard:web-app-not-built',
        'web/dist is missing: a placeholder page is deployed at /app/. Run npm run web:build before deploying.',
      );
    }
    const hashedDir = built ? path.join(props.appDir as string, 'assets') : undefined;
    // Hashed assets first and never pruned, so a page loaded before a deploy still finds its files.
    if (hashedDir && existsSync(hashedDir)) {
      new s3deploy.BucketDeployment(this, 'Assets', {
        destinationBucket: props.bucket,
        destinationKeyPrefix: 'app/assets/',
        sources: [s3deploy.Source.asset(hashedDir)],
        cacheControl: [s3deploy.CacheControl.fromString(hashedAssetCacheControl)],
        prune: false,
        logGroup,
      });
    }
    // No CloudFront invalidation (it needs cloudfront:CreateInvalidation on *): these are no-cache.
    new s3deploy.BucketDeployment(this, 'Entry', {
      destinationBucket: props.bucket,
      destinationKeyPrefix: 'app/',
      sources: [
        built
          ? s3deploy.Source.asset(props.appDir as string, { exclude: ['assets', 'assets/**'] })
          : s3deploy.Source.data('index.html', placeholderPage),
        s3deploy.Source.jsonData('config.json', props.config),
      ],
      cacheControl: [s3deploy.CacheControl.noCache()],
      prune: false,
      logGroup,
    });
  }
}
