import { Aws, CfnCondition, CfnRule, Duration, Fn, SecretValue, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { TaskboardSettings } from '../settings.ts';
import { rateLimitedWebAcl } from './api.ts';

/** The header CloudFront adds to every origin request (handlers/runtime/origin-verify.ts checks it). */
export const originVerifyHeader = 'X-Origin-Verify';

export interface EdgeProps {
  /** The API's execute-api domain name. */
  apiDomainName: string;
  /** The stage, which becomes the origin path: clients call `https://<distribution>/tasks`. */
  stageName: string;
  /** Pin the header to one version of the secret; see infra/README.md, "Rotating the origin-verify secret". */
  originVerifySecretVersionId: string | undefined;
  /** An alternate domain name with its certificate (given, or issued here) and Route 53 alias records. */
  customDomain: TaskboardSettings['customDomain'];
  /** A CLOUDFRONT web ACL with this rate-based rule (requests per 5 minutes per IP). */
  wafRateLimit: number | undefined;
}

/**
 * The public entry point: a CloudFront distribution in front of the API stage that caches nothing,
 * forwards every viewer header except Host, speaks HTTPS only, and adds a secret `X-Origin-Verify`
 * header whose value is generated in Secrets Manager — the API function rejects requests without it.
 * Optionally a custom domain (ACM certificate and alias records) and a WAF web ACL; CloudFront takes
 * both only from us-east-1, so the web ACL exists only when the stack is deployed there.
 */
export class Edge extends Construct {
  readonly distribution: cloudfront.Distribution;
  /** A plain string (no JSON), read by the API function at its AWSCURRENT and AWSPREVIOUS stages. */
  readonly originVerifySecret: secretsmanager.Secret;
  /** `https://<custom domain or distribution domain>` (no trailing slash). */
  readonly url: string;
  /** The CLOUDFRONT web ACL (deployed in us-east-1 only, see {@link Edge.inUsEast1}). */
  readonly webAcl: wafv2.CfnWebACL | undefined;
  /** True when the stack is deployed in us-east-1, where CloudFront's web ACLs and metrics live. */
  readonly inUsEast1: CfnCondition;
  /** The origin-verify header value CloudFront sends: a dynamic reference CloudFormation resolves at deploy. */
  readonly originVerifyValue: string;

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

    this.originVerifyValue = headerValue.unsafeUnwrap();

    this.inUsEast1 = new CfnCondition(this, 'InUsEast1', { expression: Fn.conditionEquals(Aws.REGION, 'us-east-1') });
    this.webAcl =
      props.wafRateLimit === undefined
        ? undefined
        : rateLimitedWebAcl(this, 'WebAcl', 'CLOUDFRONT', props.wafRateLimit);
    if (this.webAcl) this.webAcl.cfnOptions.condition = this.inUsEast1;

    const domain = props.customDomain;
    const zone =
      domain?.hostedZoneId && domain.hostedZoneName
        ? route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
            hostedZoneId: domain.hostedZoneId,
            zoneName: domain.hostedZoneName,
          })
        : undefined;
    if (domain && !domain.certificateArn) {
      // The certificate is issued in the stack's region, and CloudFront takes only us-east-1's: a
      // template rule refuses the deploy up front, before the database or anything else is created.
      new CfnRule(this, 'CertificateInUsEast1', {
        assertions: [
          {
            assert: Fn.conditionEquals(Aws.REGION, 'us-east-1'),
            assertDescription:
              'hostedZoneId issues the CloudFront certificate in the stack region, which must then be us-east-1; ' +
              'elsewhere pass certificateArn (a certificate in us-east-1) instead.',
          },
        ],
      });
    }
    const certificate = domain
      ? domain.certificateArn
        ? acm.Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn)
        : new acm.Certificate(this, 'Certificate', {
            domainName: domain.domainName,
            validation: acm.CertificateValidation.fromDns(zone),
          })
      : undefined;

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Taskboard API',
      ...(domain && certificate
        ? {
            domainNames: [domain.domainName],
            certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      ...(this.webAcl
        ? { webAclId: Fn.conditionIf(this.inUsEast1.logicalId, this.webAcl.attrArn, Aws.NO_VALUE).toString() }
        : {}),
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: new origins.HttpOrigin(props.apiDomainName, {
          originPath: `/${props.stageName}`,
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          readTimeout: Duration.seconds(30),
          customHeaders: { [originVerifyHeader]: this.originVerifyValue },
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: true,
      },
    });
    this.url = `https://${domain?.domainName ?? this.distribution.distributionDomainName}`;
    if (domain && zone) {
      const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution));
      const recordName = domain.domainName;
      new route53.ARecord(this, 'AliasA', { zone, recordName, target });
      new route53.AaaaRecord(this, 'AliasAaaa', { zone, recordName, target });
    }

    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The API serves its users wherever they are; no geographic restriction applies.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'Nothing is cached, so every request reaches the API stage, whose JSON access log records it.',
      },
    );
    if (!this.webAcl) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason: 'WAF is an opt-in cost (prod profile or -c waf=true); API Gateway throttling bounds abuse.',
      });
    }
    if (!domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason: 'The default *.cloudfront.net certificate fixes the viewer TLS policy; -c domainName=... raises it.',
      });
    }
  }
}
