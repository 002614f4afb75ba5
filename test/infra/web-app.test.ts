/**
 * WebApp and SecurityHeaders: the web app on the API's distribution (private bucket, Origin Access
 * Control, /app/* with a CloudFront Function for client-side routes, no distribution-wide error
 * responses), its caching, its deploy-time config.json, the SPA client's URLs, and the security
 * headers on the app and docs behaviours.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientRoutesFunctionCode, hashedAssetCacheControl } from '../../infra/constructs/web-app.ts';
import { docsContentSecurityPolicy } from '../../infra/docs-page.ts';
import { postmanCallbackUrl, viteDevAppUrl } from '../../scripts/local/sign-in.ts';
import { render, resourcesOfType, type Synthesized, synthesizeTaskboard } from './support/synthesize.ts';

interface CacheBehavior {
  PathPattern: string;
  TargetOriginId: string;
  ViewerProtocolPolicy: string;
  CachePolicyId?: unknown;
  ResponseHeadersPolicyId?: unknown;
  FunctionAssociations?: Array<{ EventType: string; FunctionARN: unknown }>;
}
interface DistributionConfig {
  CacheBehaviors: CacheBehavior[];
  DefaultCacheBehavior: CacheBehavior;
  Origins: Array<{ Id: string; OriginAccessControlId?: unknown }>;
  CustomErrorResponses?: unknown;
}

const distributionConfig = (synthesized: Synthesized): DistributionConfig => {
  const [[, distribution] = []] = resourcesOfType(synthesized.json, 'AWS::CloudFront::Distribution');
  return (
    (distribution?.Properties as { DistributionConfig: DistributionConfig } | undefined)?.DistributionConfig ?? {
      CacheBehaviors: [],
      DefaultCacheBehavior: { PathPattern: '*', TargetOriginId: '', ViewerProtocolPolicy: '' },
      Origins: [],
    }
  );
};

const behavior = (config: DistributionConfig, pattern: string) =>
  config.CacheBehaviors.find((candidate) => candidate.PathPattern === pattern);

/** The Cache-Control and sources of each BucketDeployment of the web app. */
const deployments = (synthesized: Synthesized) =>
  resourcesOfType(synthesized.json, 'Custom::CDKBucketDeployment')
    .filter(([id]) => id.startsWith('WebApp'))
    .map(([id, resource]) => ({ id, properties: resource.Properties ?? {} }));

/** Runs the CloudFront Function's code on a viewer request for `uri`, as CloudFront would. */
function runClientRoutes(uri: string): {
  uri?: string;
  statusCode?: number;
  headers?: Record<string, { value: string }>;
} {
  const handler = new Function(`${clientRoutesFunctionCode}; return handler;`)() as (event: unknown) => never;
  return handler({ request: { uri, method: 'GET', headers: {}, querystring: {} } });
}

describe('WebApp', () => {
  let synthesized: Synthesized;
  let built: Synthesized;
  let config: DistributionConfig;
  let distDir: string;

  beforeAll(() => {
    distDir = mkdtempSync(path.join(tmpdir(), 'taskboard-web-dist-'));
    mkdirSync(path.join(distDir, 'assets'));
    writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><title>Taskboard</title>');
    writeFileSync(path.join(distDir, 'assets', 'index-AbC123.js'), 'console.log("app")');
    synthesized = synthesizeTaskboard();
    built = synthesizeTaskboard({ appDir: distDir });
    config = distributionConfig(synthesized);
  });

  afterAll(() => rmSync(distDir, { recursive: true, force: true }));

  it('serves /app/* and /app from the private bucket through Origin Access Control, over HTTPS', () => {
    const bucketOrigin = config.Origins.find((origin) => origin.OriginAccessControlId !== undefined);

    for (const pattern of ['/app/*', '/app']) {
      expect(behavior(config, pattern)?.TargetOriginId).toBe(bucketOrigin?.Id);
      expect(behavior(config, pattern)?.ViewerProtocolPolicy).toBe('redirect-to-https');
    }
    expect(resourcesOfType(synthesized.json, 'AWS::CloudFront::OriginAccessControl')).toHaveLength(1);
  });

  it('runs the client-routes function on the app behaviours only, at viewer request', () => {
    const [[functionId] = []] = resourcesOfType(synthesized.json, 'AWS::CloudFront::Function');

    for (const pattern of ['/app/*', '/app']) {
      expect(behavior(config, pattern)?.FunctionAssociations).toEqual([
        { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
      ]);
    }
    const others = [
      config.DefaultCacheBehavior,
      ...config.CacheBehaviors.filter((b) => !b.PathPattern.startsWith('/app')),
    ];
    for (const other of others) expect(other.FunctionAssociations).toBeUndefined();
  });

  it('has no distribution-wide custom error responses: the API keeps its own 403 and 404', () => {
    expect(config.CustomErrorResponses).toBeUndefined();
  });

  it('the function answers client-side routes with index.html, leaves files alone and redirects /app to /app/', () => {
    expect(runClientRoutes('/app/').uri).toBe('/app/index.html');
    expect(runClientRoutes('/app/tasks/42').uri).toBe('/app/index.html');
    expect(runClientRoutes('/app/assets/index-AbC123.js').uri).toBe('/app/assets/index-AbC123.js');
    expect(runClientRoutes('/app/config.json').uri).toBe('/app/config.json');
    const redirect = runClientRoutes('/app');
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers?.location?.value).toBe('/app/');
  });

  it('caches by the objects: a cache policy with no minimum or default TTL on the app behaviours', () => {
    const [[policyId, policy] = []] = resourcesOfType(synthesized.json, 'AWS::CloudFront::CachePolicy');

    expect(policy?.Properties?.CachePolicyConfig).toMatchObject({ MinTTL: 0, DefaultTTL: 0, MaxTTL: 31536000 });
    expect(behavior(config, '/app/*')?.CachePolicyId).toEqual({ Ref: policyId });
  });

  it('deploys hashed assets immutable, and index.html and config.json as no-cache', () => {
    const byId = deployments(built);
    const assets = byId.find(({ id }) => id.startsWith('WebAppAssets'));
    const entry = byId.find(({ id }) => id.startsWith('WebAppEntry'));

    expect(assets?.properties.SystemMetadata).toEqual({ 'cache-control': hashedAssetCacheControl });
    expect(assets?.properties.DestinationBucketKeyPrefix).toBe('app/assets/');
    expect(entry?.properties.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
    expect(entry?.properties.DestinationBucketKeyPrefix).toBe('app/');
    for (const deployment of byId) expect(deployment.properties.Prune).toBe(false);
  });

  it('without a build, deploys a placeholder page and config.json, and synth warns', () => {
    const byId = deployments(synthesized);

    expect(byId.map(({ id }) => id.replace(/CustomResource[A-F0-9]{8}$/, ''))).toEqual(['WebAppEntry']);
    const warnings = synthesized.assembly.getStackArtifact(synthesized.stack.artifactId).messages;
    expect(warnings.map((message) => String(message.entry.data))).toContainEqual(
      expect.stringContaining('web/dist is missing'),
    );
  });

  it('writes config.json at deploy time from the stack: API URL, Cognito authority, client, URIs, logout', () => {
    const entry = deployments(synthesized).find(({ id }) => id.startsWith('WebAppEntry'));
    const keys = (entry?.properties.SourceObjectKeys as string[] | undefined) ?? [];
    const markers = (entry?.properties.SourceMarkers as Array<Record<string, unknown>> | undefined)?.[1] ?? {};
    const staged = path.join(synthesized.assembly.directory, `asset.${(keys[1] ?? '').replace(/\.zip$/, '')}`);
    const written = JSON.parse(readFileSync(path.join(staged, 'config.json'), 'utf8')) as Record<string, string>;
    /** A value of config.json with each deploy-time marker shown as the CloudFormation value it becomes. */
    const resolved = (key: string) =>
      (written[key] ?? '').replace(/<<marker:0xbaba:\d+>>/g, (marker) => render(markers[marker]));
    const pool = synthesized.logicalId(synthesized.stack.auth.userPool);
    const domain = synthesized.logicalId(synthesized.stack.auth.domain);

    expect(Object.keys(written).sort()).toEqual(
      ['apiUrl', 'authority', 'clientId', 'logoutEndpoint', 'logoutUri', 'redirectUri', 'scope'].sort(),
    );
    expect(resolved('apiUrl')).toMatch(/^https:\/\/<EdgeDistribution\w+\.DomainName>$/);
    expect(resolved('authority')).toBe(`<${pool}.ProviderURL>`);
    expect(resolved('clientId')).toMatch(/^<AuthUserPoolSpaClient\w+>$/);
    expect(resolved('redirectUri')).toBe(`${resolved('apiUrl')}/app/`);
    expect(resolved('logoutUri')).toBe(`${resolved('apiUrl')}/app/`);
    expect(resolved('logoutEndpoint')).toBe(`https://<${domain}>.auth.<AWS::Region>.amazoncognito.com/logout`);
    expect(written.scope).toBe('openid email profile');
  });

  it("registers the deployed app, the Vite dev server and Postman's callback on the SPA client", () => {
    const [[, client] = []] = resourcesOfType(synthesized.json, 'AWS::Cognito::UserPoolClient');
    const callbacks = ((client?.Properties?.CallbackURLs as unknown[] | undefined) ?? []).map(render);
    const logouts = ((client?.Properties?.LogoutURLs as unknown[] | undefined) ?? []).map(render);

    expect(callbacks[0]).toMatch(/^https:\/\/<EdgeDistribution\w+\.DomainName>\/app\/$/);
    expect(callbacks.slice(1)).toEqual([viteDevAppUrl, postmanCallbackUrl]);
    expect(logouts).toEqual([callbacks[0], viteDevAppUrl]);
  });

  it('outputs the app URL', () => {
    expect(render(synthesized.json.Outputs?.AppUrl?.Value)).toMatch(/\/app\/$/);
  });

  it('leaves no cdk-nag finding on the app unacknowledged', () => {
    const findings = [...synthesized.nag.violations, ...built.nag.violations].filter((violation) =>
      violation.violatingResources.some((resource) =>
        /\/WebApp\/|\/SecurityHeaders\//.test(resource.constructPath ?? ''),
      ),
    );
    expect(findings).toEqual([]);
  });
});

describe('SecurityHeaders', () => {
  let synthesized: Synthesized;
  let config: DistributionConfig;
  let policies: Record<string, Record<string, unknown>>;

  beforeAll(() => {
    synthesized = synthesizeTaskboard();
    config = distributionConfig(synthesized);
    policies = Object.fromEntries(
      resourcesOfType(synthesized.json, 'AWS::CloudFront::ResponseHeadersPolicy').map(([id, resource]) => [
        id,
        (
          resource.Properties?.ResponseHeadersPolicyConfig as
            | { SecurityHeadersConfig?: Record<string, unknown> }
            | undefined
        )?.SecurityHeadersConfig ?? {},
      ]),
    );
  });

  const policyOf = (pattern: string) => {
    const id = (behavior(config, pattern)?.ResponseHeadersPolicyId as { Ref?: string } | undefined)?.Ref ?? '';
    return policies[id] ?? {};
  };
  const cspOf = (pattern: string) =>
    render((policyOf(pattern).ContentSecurityPolicy as { ContentSecurityPolicy: unknown }).ContentSecurityPolicy);
  const directive = (csp: string, name: string) =>
    csp
      .split(';')
      .map((part) => part.trim())
      .find((part) => part.startsWith(`${name} `)) ?? '';

  it('gives the app a strict CSP: no inline script, connections only to the API (self) and Cognito', () => {
    const csp = cspOf('/app/*');

    expect(directive(csp, 'script-src')).toBe("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const domain = synthesized.logicalId(synthesized.stack.auth.domain);
    expect(directive(csp, 'connect-src')).toBe(
      `connect-src 'self' https://cognito-idp.<AWS::Region>.amazonaws.com https://<${domain}>.auth.<AWS::Region>.amazoncognito.com`,
    );
    expect(directive(csp, 'frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(directive(csp, 'object-src')).toBe("object-src 'none'");
    expect(cspOf('/app')).toBe(csp);
  });

  it('gives the app and the docs HSTS, nosniff, no framing and a referrer policy', () => {
    for (const pattern of ['/app/*', '/app', '/docs*', '/openapi.json']) {
      const policy = policyOf(pattern);
      expect(policy.StrictTransportSecurity).toEqual({
        AccessControlMaxAgeSec: 31536000,
        IncludeSubdomains: true,
        Override: true,
      });
      expect(policy.ContentTypeOptions).toEqual({ Override: true });
      expect(policy.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
      expect(policy.ReferrerPolicy).toEqual({ ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true });
      expect(directive(cspOf(pattern), 'frame-ancestors')).toBe("frame-ancestors 'none'");
    }
  });

  it('lets the docs page connect nowhere but its own origin and load nothing from another host', () => {
    const csp = cspOf('/docs*');

    expect(directive(csp, 'connect-src')).toBe("connect-src 'self'");
    expect(directive(csp, 'default-src')).toBe("default-src 'self'");
    expect(csp).not.toMatch(/https?:/);
  });

  it('gives the docs a strict CSP: scripts only from their own origin, nothing inline, no eval, no base, no plugins', () => {
    const csp = cspOf('/docs*');

    expect(directive(csp, 'script-src')).toBe("script-src 'self'");
    expect(directive(csp, 'script-src')).not.toContain("'unsafe-inline'");
    expect(csp).not.toContain('unsafe-eval');
    expect(directive(csp, 'style-src')).toBe("style-src 'self' 'unsafe-inline'");
    expect(directive(csp, 'object-src')).toBe("object-src 'none'");
    expect(directive(csp, 'base-uri')).toBe("base-uri 'none'");
    expect(directive(csp, 'frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(cspOf('/openapi.json')).toBe(csp);
    // One definition: the local gateway sends this very policy on /docs (scripts/local/gateway.ts).
    expect(csp).toBe(docsContentSecurityPolicy);
  });

  it('leaves the API behaviour without them (the API sets its own headers)', () => {
    expect(config.DefaultCacheBehavior.ResponseHeadersPolicyId).toBeUndefined();
  });
});
