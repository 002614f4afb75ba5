import { Duration, SecretValue, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** The header CloudFront adds to every origin request (handlers/runtime/origin-verify.ts checks it). */
export const originVerifyHeader = 'X-Origin-Verify';

export interface EdgeProps {
  /** The API's execute-api domain name. */
  apiDomainName: string;
  /** The stage, which becomes the origin path: clients call `https://<distribution>/tasks`. */
  stageName: string;
  /** Pin the header to one version of the secret; see infra/README.md, "Rotating the origin-verify secret". */
  originVerifySecretVersionId: string | undefined;
}

/**
 * The public entry point: a CloudFront distribution in front of the API stage that caches nothing,
 * forwards every viewer header except Host, speaks HTTPS only, and adds a secret `X-Origin-Verify`
 * header whose value is generated in Secrets Manager — the API function rejects requests without it.
 */
export class Edge extends Construct {
  readonly distribution: cloudfront.Distribution;
  /** A plain string (no JSON), read by the API function at its AWSCURRENT and AWSPREVIOUS stages. */
  readonly originVerifySecret: secretsmanager.Secret;
  /** `https://<distribution domain>` (no trailing slash). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);

    this.originVerifySecret = new secretsmanager.Secret(this, 'OriginVerifySecret', {
      description: `Value CloudFront sends as ${originVerifyHeader}; the API rejects requests without it`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(this.originVerifySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotated by hand in two steps (infra/README.md): CloudFront only learns a new value on deploy.',
    });

    // CloudFront takes custom headers as plain configuration, so the secret has to be unwrapped;
    // what is unwrapped is a `{{resolve:secretsmanager:...}}` dynamic reference that CloudFormation
    // resolves at deploy time, so the value never appears in the template or the cloud assembly.
    const headerValue = props.originVerifySecretVersionId
      ? SecretValue.secretsManager(this.originVerifySecret.secretArn, { versionId: props.originVerifySecretVersionId })
      : this.originVerifySecret.secretValue;

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Taskboard API',
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: new origins.HttpOrigin(props.apiDomainName, {
          originPath: `/${props.stageName}`,
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          readTimeout: Duration.seconds(30),
          customHeaders: { [originVerifyHeader]: headerValue.unsafeUnwrap() },
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: true,
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The API serves its users wherever they are; no geographic restriction applies.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'A WAF web ACL for CloudFront is an opt-in cost; API Gateway throttling bounds abuse.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'Nothing is cached, so every request reaches the API stage, whose JSON access log records it.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'The default *.cloudfront.net certificate fixes the viewer TLS policy; a custom domain can raise it.',
      },
    );
  }
}
