import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

/** The server the generated spec and docs name; the published copies name the deployment instead. */
export const localServerUrl = 'http://localhost:3000';

export interface DocsSiteProps {
  /** The API's distribution: the docs get their own behaviours on it, the API keeps the default one. */
  distribution: cloudfront.Distribution;
  /** `https://<distribution domain>`, which the published spec and docs name as their server. */
  url: string;
  /** The bundled spec (generated/openapi.json). */
  spec: Record<string, unknown>;
  /** The Redoc page (`npm run docs` → docs/index.html), published at `/docs`. */
  docsHtml: string;
  /** The page's scripts by file name (docs/*.js), published at `/docs/<name>`. */
  docsScripts: Record<string, string>;
  logRetention: logs.RetentionDays;
  /** The docs' security headers (SecurityHeaders.docs). */
  responseHeadersPolicy: cloudfront.IResponseHeadersPolicy;
}

/**
 * The published API docs: the Redoc page at `/docs`, its scripts under `/docs/` and the bundled spec
 * at `/openapi.json`, from a private S3 bucket that only this distribution can read (Origin Access
 * Control), on the same CloudFront domain as the API — so the page's "try it" and a SPA's requests
 * are same-origin with the docs. The spec, the page and the script holding the spec name the deployed
 * URL as their server, substituted at deploy time.
 */
export class DocsSite extends Construct {
  readonly bucket: s3.Bucket;
  /** The bucket as a CloudFront origin through Origin Access Control; the web app shares it. */
  readonly origin: cloudfront.IOrigin;

  constructor(scope: Construct, id: string, props: DocsSiteProps) {
    super(scope, id);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Public docs rebuilt on every deploy; CloudFront is the only reader, so S3 access logs add nothing.',
    });

    const origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    this.origin = origin;
    const behavior: cloudfront.AddBehaviorOptions = {
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy: props.responseHeadersPolicy,
      compress: true,
    };
    props.distribution.addBehavior('/docs*', origin, behavior);
    props.distribution.addBehavior('/openapi.json', origin, behavior);

    const published = {
      ...props.spec,
      servers: [{ url: props.url, description: 'This deployment' }],
    };
    const logGroup = new logs.LogGroup(this, 'DeploymentLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const withDeployedUrl = (text: string) => text.replaceAll(localServerUrl, props.url);
    // One deployment per Content-Type; none prunes another's objects. No CloudFront invalidation (it
    // needs cloudfront:CreateInvalidation on *): edges serve the previous page for at most the
    // 5-minute max-age after a deploy. The scripts' names carry a hash of their content, and old ones
    // are kept, so a page cached before a deploy still loads the scripts it was built with.
    const deployments = [
      new s3deploy.BucketDeployment(this, 'Page', {
        destinationBucket: this.bucket,
        sources: [s3deploy.Source.data('docs', withDeployedUrl(props.docsHtml))],
        contentType: 'text/html; charset=utf-8',
        cacheControl: [s3deploy.CacheControl.fromString('public, max-age=300')],
        prune: false,
        logGroup,
      }),
      new s3deploy.BucketDeployment(this, 'Scripts', {
        destinationBucket: this.bucket,
        sources: Object.entries(props.docsScripts).map(([name, script]) =>
          s3deploy.Source.data(`docs/${name}`, withDeployedUrl(script)),
        ),
        contentType: 'text/javascript; charset=utf-8',
        cacheControl: [s3deploy.CacheControl.fromString('public, max-age=300')],
        prune: false,
        logGroup,
      }),
      new s3deploy.BucketDeployment(this, 'Spec', {
        destinationBucket: this.bucket,
        sources: [s3deploy.Source.jsonData('openapi.json', published)],
        contentType: 'application/json',
        cacheControl: [s3deploy.CacheControl.fromString('public, max-age=300')],
        prune: false,
        logGroup,
      }),
    ];
    // CDK's shared deployment handler (one per stack, at the stack's root) and its role.
    const handlerRole = deployments[0]?.handlerRole;
    if (handlerRole) {
      Validations.of(handlerRole).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'CDK’s BucketDeployment handler writes its logs with the AWS policy made for that.',
        },
        ...['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map((action) => ({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: 'CDK’s BucketDeployment handler copies the docs from the asset bucket into the docs bucket only.',
        })),
        {
          id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
          reason: 'The handler writes any object of the docs bucket: the page, its scripts and the spec.',
        },
        {
          id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
          reason: 'The handler reads its source archive from the CDK bootstrap asset bucket.',
        },
      );
    }
    const handler = Stack.of(this).node.children.find((child) =>
      child.node.id.startsWith('Custom::CDKBucketDeployment'),
    );
    if (handler) {
      Validations.of(handler).acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'The BucketDeployment handler’s runtime is chosen by aws-cdk-lib and follows its releases.',
      });
    }
  }
}
