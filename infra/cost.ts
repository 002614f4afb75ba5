/**
 * `npm run cost [-- key=value ...]`: the monthly cost of the synthesized stack, per profile, from
 * the template's resources (counted by type, sized from their properties) times the us-east-1 list
 * prices below, and the same with the legacy free tier (`freeTier`) applied. Idle = what the stack
 * costs with no traffic; per million = what 1 M API requests through CloudFront add (list prices).
 * Synthesizes offline, without bundling.
 */
import { App } from 'aws-cdk-lib';
import { metricNames } from '../handlers/runtime/metrics.ts';
import { TaskboardStack } from './taskboard-stack.ts';

/**
 * When and where the prices were read. Nothing here can reach AWS's price list: the RDS prices were
 * re-read on 2026-12-04 from third-party pages quoting the us-east-1 list of 2026; the others are
 * the 2025 list prices the stack was first costed with.
 */
export const pricesRead = {
  rds: 're-read 2026-12-04: db.t4g.micro $0.016/h, db.t4g.small $0.032/h, gp3 $0.115/GB-month (third-party pages quoting the 2026 us-east-1 list)',
  others:
    'as known in 2025, not re-read: endpoints, Secrets Manager, KMS, CloudWatch, WAF, API Gateway, CloudFront, Lambda, Logs, X-Ray',
  freeTier:
    "as known in 2025, not re-read: the legacy free tier (accounts opened before 2025-07-15, first 12 months; CloudWatch's always)",
} as const;

/** us-east-1 on-demand list prices in USD (see `pricesRead`; check the AWS pricing pages before relying on them). */
export const prices = {
  readAs: 'us-east-1 on-demand list prices',
  hoursPerMonth: 730,
  /** RDS for PostgreSQL, Single-AZ, per instance-hour; Multi-AZ (one standby) costs twice that. */
  rdsInstanceHour: {
    't4g.micro': 0.016,
    't4g.small': 0.032,
    't4g.medium': 0.065,
    't4g.large': 0.129,
    'm7g.large': 0.168,
    'm7g.xlarge': 0.337,
    'r7g.large': 0.239,
  } as Record<string, number>,
  /** vCPUs per class, for RDS Proxy (billed per vCPU of the instance, at least 2). */
  vcpus: {
    't4g.micro': 2,
    't4g.small': 2,
    't4g.medium': 2,
    't4g.large': 2,
    'm7g.large': 2,
    'm7g.xlarge': 4,
    'r7g.large': 2,
  } as Record<string, number>,
  rdsGp3GbMonth: 0.115,
  rdsProxyVcpuHour: 0.015,
  interfaceEndpointAzHour: 0.01,
  secretMonth: 0.4,
  kmsKeyMonth: 1,
  /** Per metric in a standard-resolution alarm (a metric-math alarm pays for each metric it reads). */
  alarmMetricMonth: 0.1,
  dashboardMonth: 3,
  wafWebAclMonth: 5,
  wafRuleMonth: 1,
  wafPerMillionRequests: 0.6,
  apiGatewayRestPerMillion: 3.5,
  cloudFrontHttpsPerMillion: 1,
  cloudFrontTransferGb: 0.085,
  lambdaPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  logsIngestionGb: 0.5,
  xrayPerMillionTraces: 5,
  customMetricMonth: 0.3,
  /** An egress-only internet gateway has no hourly price; IPv6 to a same-region AWS endpoint is not billed as transfer. */
  egressOnlyGatewayMonth: 0,
} as const;

/**
 * The legacy free tier, as far as the idle stack meets it: RDS 750 hours a month of a Single-AZ
 * micro instance and 20 GB of General Purpose storage (12 months); CloudWatch 10 alarm metrics and
 * 3 dashboards (always). Secrets Manager (a 30-day trial only), KMS keys, interface endpoints, RDS
 * Proxy and WAF have none.
 */
export const freeTier = {
  rdsMicroInstanceHours: 750,
  rdsStorageGb: 20,
  alarmMetrics: 10,
  dashboards: 3,
} as const;

/** What the per-million figure assumes (not measured on AWS; change them with key=value). */
export const assumptions = {
  /** Billed duration of one API invocation on Lambda, in ms. */
  lambdaBilledMs: 10,
  /** Log bytes per request: the function writes nothing for a success (test/unit/metrics.test.ts),
   * so it is Lambda's START/END/REPORT lines (~360 B) and the stage's access log line (~340 B),
   * estimated from sample lines, plus CloudWatch's 26 B per event. */
  logBytesPerRequest: 800,
  /** Response bytes per request through CloudFront. */
  responseBytes: 1000,
  /** Share of requests X-Ray records (the default sampling rule: 1 per second plus 5%). */
  xraySampled: 0.05,
};

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
}

export interface CostLine {
  item: string;
  monthlyUsd: number;
  /** The same line with the legacy free tier applied (idle lines only). */
  freeTierUsd?: number;
}

export interface CostEstimate {
  idle: CostLine[];
  perMillion: CostLine[];
  idleUsd: number;
  /** Idle with the legacy free tier (`freeTier`). */
  idleFreeTierUsd: number;
  perMillionUsd: number;
}

const sum = (lines: CostLine[], value: (line: CostLine) => number = (line) => line.monthlyUsd) =>
  Math.round(lines.reduce((total, line) => total + value(line), 0) * 100) / 100;

/** The estimate for one synthesized template. */
export function estimateCost(
  template: { Resources: Record<string, Resource> },
  options: typeof assumptions = assumptions,
): CostEstimate {
  const resources = Object.values(template.Resources);
  const ofType = (type: string) => resources.filter((resource) => resource.Type === type);
  const hours = prices.hoursPerMonth;
  const idle: CostLine[] = [];
  const perMillion: CostLine[] = [];

  for (const instance of ofType('AWS::RDS::DBInstance')) {
    const instanceClass = String(instance.Properties?.DBInstanceClass).replace(/^db\./, '');
    const hourly = prices.rdsInstanceHour[instanceClass];
    if (hourly === undefined) throw new Error(`No price for db.${instanceClass}: add it to infra/cost.ts`);
    const copies = instance.Properties?.MultiAZ === true ? 2 : 1;
    const storage = Number(instance.Properties?.AllocatedStorage ?? 20);
    // The free tier covers a Single-AZ micro instance only.
    const free = copies === 1 && instanceClass.endsWith('.micro');
    idle.push({
      item: `RDS db.${instanceClass}${copies === 2 ? ' Multi-AZ' : ''}`,
      monthlyUsd: hourly * copies * hours,
      freeTierUsd: free ? hourly * Math.max(0, hours - freeTier.rdsMicroInstanceHours) : hourly * copies * hours,
    });
    idle.push({
      item: `RDS gp3 ${storage} GB${copies === 2 ? ' ×2' : ''}`,
      monthlyUsd: storage * copies * prices.rdsGp3GbMonth,
      freeTierUsd: Math.max(0, storage * copies - (free ? freeTier.rdsStorageGb : 0)) * prices.rdsGp3GbMonth,
    });
  }
  const instanceClass = String(ofType('AWS::RDS::DBInstance')[0]?.Properties?.DBInstanceClass ?? '').replace(
    /^db\./,
    '',
  );
  for (const _proxy of ofType('AWS::RDS::DBProxy')) {
    const vcpus = Math.max(2, prices.vcpus[instanceClass] ?? 2);
    idle.push({ item: `RDS Proxy (${vcpus} vCPU)`, monthlyUsd: vcpus * prices.rdsProxyVcpuHour * hours });
  }
  for (const endpoint of ofType('AWS::EC2::VPCEndpoint')) {
    const azs = (endpoint.Properties?.SubnetIds as unknown[] | undefined)?.length ?? 1;
    idle.push({ item: `Interface endpoint × ${azs} AZ`, monthlyUsd: azs * prices.interfaceEndpointAzHour * hours });
  }
  const secrets = ofType('AWS::SecretsManager::Secret').length;
  idle.push({ item: `Secrets Manager × ${secrets}`, monthlyUsd: secrets * prices.secretMonth });
  const keys = ofType('AWS::KMS::Key').length;
  idle.push({ item: `KMS key × ${keys}`, monthlyUsd: keys * prices.kmsKeyMonth });
  for (const _gateway of ofType('AWS::EC2::EgressOnlyInternetGateway')) {
    idle.push({ item: 'Egress-only internet gateway (IPv6)', monthlyUsd: prices.egressOnlyGatewayMonth });
  }
  const alarmMetrics = ofType('AWS::CloudWatch::Alarm').reduce((total, alarm) => {
    const metrics = alarm.Properties?.Metrics as { MetricStat?: unknown }[] | undefined;
    return total + (metrics ? metrics.filter((metric) => metric.MetricStat).length : 1);
  }, 0);
  idle.push({
    item: `CloudWatch ${ofType('AWS::CloudWatch::Alarm').length} alarms (${alarmMetrics} metrics)`,
    monthlyUsd: alarmMetrics * prices.alarmMetricMonth,
    freeTierUsd: Math.max(0, alarmMetrics - freeTier.alarmMetrics) * prices.alarmMetricMonth,
  });
  const dashboards = ofType('AWS::CloudWatch::Dashboard').length;
  idle.push({
    item: `CloudWatch dashboard × ${dashboards}`,
    monthlyUsd: dashboards * prices.dashboardMonth,
    freeTierUsd: Math.max(0, dashboards - freeTier.dashboards) * prices.dashboardMonth,
  });
  const webAcls = ofType('AWS::WAFv2::WebACL');
  if (webAcls.length > 0) {
    const rules = webAcls.reduce((total, acl) => total + ((acl.Properties?.Rules as unknown[]) ?? []).length, 0);
    idle.push({
      item: `WAF ${webAcls.length} web ACLs, ${rules} rules`,
      monthlyUsd: webAcls.length * prices.wafWebAclMonth + rules * prices.wafRuleMonth,
    });
    // A request through CloudFront passes both web ACLs: the distribution's and the stage's.
    perMillion.push({
      item: `WAF requests × ${webAcls.length} ACLs`,
      monthlyUsd: webAcls.length * prices.wafPerMillionRequests,
    });
  }

  const apiFunction = ofType('AWS::Lambda::Function').find(
    (fn) =>
      (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.METRICS === 'emf',
  );
  const memoryGb = Number(apiFunction?.Properties?.MemorySize ?? 1024) / 1024;
  perMillion.push({ item: 'CloudFront HTTPS requests', monthlyUsd: prices.cloudFrontHttpsPerMillion });
  perMillion.push({
    item: `CloudFront transfer (${options.responseBytes} B/response)`,
    monthlyUsd: ((options.responseBytes * 1e6) / 1e9) * prices.cloudFrontTransferGb,
  });
  perMillion.push({ item: 'API Gateway REST requests', monthlyUsd: prices.apiGatewayRestPerMillion });
  perMillion.push({ item: 'Lambda requests', monthlyUsd: prices.lambdaPerMillion });
  perMillion.push({
    item: `Lambda arm64 ${memoryGb} GB × ${options.lambdaBilledMs} ms`,
    monthlyUsd: 1e6 * memoryGb * (options.lambdaBilledMs / 1000) * prices.lambdaArmGbSecond,
  });
  perMillion.push({
    item: `CloudWatch Logs (${options.logBytesPerRequest} B/request)`,
    monthlyUsd: ((options.logBytesPerRequest * 1e6) / 1e9) * prices.logsIngestionGb,
  });
  perMillion.push({
    item: `X-Ray (${options.xraySampled * 100}% sampled)`,
    monthlyUsd: options.xraySampled * prices.xrayPerMillionTraces,
  });
  // The EMF counters exist as custom metrics once traffic emits them (one per name, one dimension
  // set); request counts by status are API Gateway's own metrics, which cost nothing.
  perMillion.push({
    item: `EMF custom metrics × ${metricNames.length} (a month, once traffic emits them)`,
    monthlyUsd: metricNames.length * prices.customMetricMonth,
  });

  return {
    idle,
    perMillion,
    idleUsd: sum(idle),
    idleFreeTierUsd: sum(idle, (line) => line.freeTierUsd ?? line.monthlyUsd),
    perMillionUsd: sum(perMillion),
  };
}

/** Synthesizes the stack for `context` (on top of cdk.json's) without bundling and estimates it. */
export async function estimateProfile(context: Record<string, string>): Promise<CostEstimate> {
  const { readFileSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { projectRoot } = await import('./api-definition.ts');
  const cdkJson = JSON.parse(readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const outdir = mkdtempSync(path.join(tmpdir(), 'taskboard-cost-'));
  try {
    const app = new App({
      outdir,
      context: { ...cdkJson.context, migrationRunId: 'cost', 'aws:cdk:bundling-stacks': [], ...context },
    });
    const stack = new TaskboardStack(app, 'Taskboard');
    const template = app.synth().getStackArtifact(stack.artifactId).template as { Resources: Record<string, Resource> };
    return estimateCost(template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const usd = (value: number) => `$${value.toFixed(2)}`;

async function main(args: string[]): Promise<void> {
  const context = Object.fromEntries(
    args.filter((arg) => arg.includes('=')).map((arg) => arg.split('=', 2) as [string, string]),
  );
  const chosen = context.profile ? [context.profile] : ['dev', 'prod'];
  console.log(`Monthly estimate from the synthesized template (${prices.readAs}). Prices read:`);
  for (const [what, when] of Object.entries(pricesRead)) console.log(`- ${what}: ${when}`);
  console.log(`Per million assumes: ${JSON.stringify(assumptions)}\n`);
  for (const profile of chosen) {
    const estimate = await estimateProfile({ ...context, profile });
    console.log(`## ${profile}${args.length ? ` (${args.join(' ')})` : ''}\n`);
    console.log('| Idle, per month | List | Legacy free tier |\n| --- | ---: | ---: |');
    for (const line of estimate.idle) {
      console.log(`| ${line.item} | ${usd(line.monthlyUsd)} | ${usd(line.freeTierUsd ?? line.monthlyUsd)} |`);
    }
    console.log(`| **Idle total** | **${usd(estimate.idleUsd)}** | **${usd(estimate.idleFreeTierUsd)}** |\n`);
    console.log('| Per million requests | USD |\n| --- | ---: |');
    for (const line of estimate.perMillion) console.log(`| ${line.item} | ${usd(line.monthlyUsd)} |`);
    console.log(`| **Per million total** | **${usd(estimate.perMillionUsd)}** |\n`);
    console.log(`At 1 M requests a month: ${usd(estimate.idleUsd + estimate.perMillionUsd)}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
