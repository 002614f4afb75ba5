/**
 * DocsSite: the docs page and the bundled spec published on the API's CloudFront distribution from a
 * private bucket behind Origin Access Control, naming the deployed URL as their server.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDocs } from '../../infra/api-definition.ts';
import { docsScriptNames } from '../../infra/docs-page.ts';
import { render, resourcesOfType, type Synthesized, synthesizeTaskboard } from './support/synthesize.ts';

interface CacheBehavior {
  PathPattern: string;
  TargetOriginId: string;
  ViewerProtocolPolicy: string;
}
interface Origin {
  Id: string;
  S3OriginConfig?: unknown;
  OriginAccessControlId?: unknown;
  CustomOriginConfig?: unknown;
}

describe('DocsSite', () => {
  let synthesized: Synthesized;
  let config: { CacheBehaviors: CacheBehavior[]; DefaultCacheBehavior: { TargetOriginId: string }; Origins: Origin[] };

  beforeAll(() => {
    synthesized = synthesizeTaskboard();
    const [[, distribution] = []] = resourcesOfType(synthesized.json, 'AWS::CloudFront::Distribution');
    config =
      (distribution?.Properties as { DistributionConfig: typeof config } | undefined)?.DistributionConfig ?? config;
  });

  it('keeps the bucket private: all public access blocked, TLS only, objects owned by the bucket owner', () => {
    synthesized.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    const policies = resourcesOfType(synthesized.json, 'AWS::S3::BucketPolicy').map(([, policy]) => render(policy));
    expect(policies.join('\n')).toContain('aws:SecureTransport');
  });

  it('lets CloudFront read it through an Origin Access Control scoped to this distribution', () => {
    synthesized.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' }),
    });
    const policies = resourcesOfType(synthesized.json, 'AWS::S3::BucketPolicy').map(([, policy]) => render(policy));
    const reader = policies.join('\n');
    expect(reader).toContain('"Principal":{"Service":"cloudfront.amazonaws.com"}');
    expect(reader).toMatch(
      /"AWS:SourceArn":\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":cloudfront::",\{"Ref":"AWS::AccountId"\},":distribution\/",\{"Ref":"EdgeDistribution/,
    );
  });

  it('serves /docs* and /openapi.json from the bucket, and leaves the default behaviour to the API', () => {
    const s3Origin = config.Origins.find((origin) => origin.OriginAccessControlId !== undefined);
    const apiOrigin = config.Origins.find((origin) => origin.CustomOriginConfig !== undefined);

    expect(s3Origin).toBeDefined();
    expect(config.DefaultCacheBehavior.TargetOriginId).toBe(apiOrigin?.Id);
    expect(config.CacheBehaviors.map((behavior) => [behavior.PathPattern, behavior.TargetOriginId]).sort()).toEqual([
      ['/app', s3Origin?.Id],
      ['/app/*', s3Origin?.Id],
      ['/docs*', s3Origin?.Id],
      ['/openapi.json', s3Origin?.Id],
    ]);
    for (const behavior of config.CacheBehaviors) expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
  });

  it('deploys the page, its scripts and the spec with their content types, and outputs the docs URL', () => {
    synthesized.template.hasResourceProperties('Custom::CDKBucketDeployment', {
      SystemMetadata: { 'content-type': 'text/html; charset=utf-8' },
    });
    synthesized.template.hasResourceProperties('Custom::CDKBucketDeployment', {
      SystemMetadata: { 'content-type': 'text/javascript; charset=utf-8' },
    });
    synthesized.template.hasResourceProperties('Custom::CDKBucketDeployment', {
      SystemMetadata: { 'content-type': 'application/json' },
    });
    expect(render(synthesized.json.Outputs?.DocsUrl?.Value)).toContain('/docs');
  });

  it('publishes the spec, the page and the script holding the spec naming the distribution, not localhost', () => {
    const deployments = resourcesOfType(synthesized.json, 'Custom::CDKBucketDeployment')
      .filter(([id]) => id.startsWith('Docs'))
      .map(([, resource]) => render(resource.Properties?.SourceMarkers ?? resource.Properties));
    expect(deployments).toHaveLength(3);
    for (const markers of deployments) expect(markers).toMatch(/"Fn::GetAtt":\["EdgeDistribution\w+","DomainName"\]/);
  });

  it('publishes the page without inline script, and every script it loads under /docs/', () => {
    const { html, scripts } = loadDocs();
    const [[, deployment] = []] = resourcesOfType(synthesized.json, 'Custom::CDKBucketDeployment').filter(([id]) =>
      id.startsWith('DocsScripts'),
    );

    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*[^<\s]/);
    expect(docsScriptNames(html).sort()).toEqual(Object.keys(scripts).sort());
    expect(Object.keys(scripts).length).toBeGreaterThanOrEqual(2);
    expect((deployment?.Properties?.SourceObjectKeys as unknown[] | undefined)?.length).toBe(
      Object.keys(scripts).length,
    );
  });

  it('leaves no cdk-nag finding on the bucket or the deployment handler unacknowledged', () => {
    const docsFindings = synthesized.nag.violations.filter((violation) =>
      violation.violatingResources.some((resource) =>
        /\/Docs\/|CDKBucketDeployment/.test(resource.constructPath ?? ''),
      ),
    );
    expect(docsFindings).toEqual([]);
  });
});
