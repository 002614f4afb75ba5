/**
 * Warm overhead over HTTP on loopback: autocannon (bounded duration, after a warm-up run) against
 * the local gateway in front of the API bundle, and against the baseline's minimal wrapper in
 * front of the bare bundle, both verifying the same ID token. After a warm-up run each, short
 * measured runs alternate between the two and pool their samples; the bench samples pg_stat_activity throughout each measured run for the
 * peak connection count.
 */
import autocannon from 'autocannon';
import type pg from 'pg';
import { type HttpTarget, startHttpTarget } from './children.ts';
import { sampleConnections } from './database.ts';
import { type LatencySummary, summarise } from './stats.ts';

export interface HttpRequestSpec {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

export interface HttpServerSpec {
  name: string;
  kind: 'gateway' | 'bare';
  bundle: string;
  applicationName: string;
}

export interface HttpSummary {
  requests: number;
  throughputPerSecond: number;
  latency: LatencySummary;
  peakConnections: number;
}

export interface HttpOptions {
  client: pg.Client;
  keyFile: string;
  token: string;
  /** The servers' environment (DATABASE_URL, DB_POOL_MAX). */
  env: NodeJS.ProcessEnv;
  servers: HttpServerSpec[];
  requests: HttpRequestSpec[];
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Measured runs per server and request, after one warm-up run each. */
  rounds: number;
}

async function load(
  target: HttpTarget,
  request: HttpRequestSpec,
  options: HttpOptions,
  seconds: number,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let failures = 0;
  let lastFailure = 0;
  const instance = autocannon({
    url: `${target.url}${request.path}`,
    method: request.method,
    connections: options.connections,
    duration: seconds,
    headers: {
      authorization: `Bearer ${options.token}`,
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTimeMs: number) => {
    if (status >= 200 && status < 300) latencies.push(responseTimeMs);
    else {
      failures += 1;
      lastFailure = status;
    }
  });
  const result = await instance;
  if (failures > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${request.name}: ${failures} non-2xx (last ${lastFailure}), ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return { latencies, seconds: result.duration };
}

/** Per server name, per request name: the HTTP run's summary. */
export async function measureHttp(options: HttpOptions): Promise<Map<string, Map<string, HttpSummary>>> {
  const results = new Map(options.servers.map((server) => [server.name, new Map<string, HttpSummary>()]));
  const targets = new Map<string, HttpTarget>();
  try {
    for (const server of options.servers) {
      targets.set(server.name, await startHttpTarget(server.kind, server.bundle, options.keyFile, options.env));
    }
    for (const request of options.requests) {
      const samples = new Map(
        options.servers.map((server) => [server.name, { latencies: [] as number[], seconds: 0, peak: 0 }]),
      );
      for (const server of options.servers) {
        const target = targets.get(server.name);
        if (target) await load(target, request, options, options.warmupSeconds);
      }
      for (let round = 0; round < options.rounds; round += 1) {
        const order = round % 2 === 0 ? options.servers : [...options.servers].reverse();
        for (const server of order) {
          const target = targets.get(server.name);
          const sample = samples.get(server.name);
          if (!target || !sample) throw new Error(`${server.name} did not start`);
          const sampler = sampleConnections(options.client, server.applicationName);
          const { latencies, seconds } = await load(target, request, options, options.durationSeconds);
          sample.peak = Math.max(sample.peak, await sampler.stop());
          sample.latencies.push(...latencies);
          sample.seconds += seconds;
        }
      }
      for (const [name, sample] of samples) {
        results.get(name)?.set(request.name, {
          requests: sample.latencies.length,
          throughputPerSecond: sample.latencies.length / sample.seconds,
          latency: summarise(sample.latencies),
          peakConnections: sample.peak,
        });
      }
    }
  } finally {
    for (const target of targets.values()) await target.stop();
  }
  return results;
}
