/**
 * CloudWatch metrics as Embedded Metric Format (EMF) lines: at most one JSON document per
 * invocation, written to the function's log stream only when the invocation counted something,
 * which CloudWatch turns into metrics with no API call. Request counts by status are API Gateway's
 * own metrics (Count, 4XXError, 5XXError), which also see the requests its authorizer rejects.
 * A small writer rather than Powertools Metrics: it is a few hundred bytes, and its import cost is
 * measured in infra/README.md ("Metrics"). Only the counters named here exist, each a number with
 * fixed dimensions set at cold start: no request data, user data or secret can reach a metric.
 * The document also carries the invocation's request log line (api-handler.ts) as plain members,
 * which CloudWatch keeps as log fields: one write per invocation instead of two. Locally there is no sink, so nothing is written (tests pass a sink to read the documents).
 */

/** The CloudWatch namespace of every metric (the dashboard reads it from infra/constructs/observability.ts). */
export const metricsNamespace = 'Taskboard';

/** The counters the API emits (`npm run cost` prices one custom metric for each). */
export const metricNames = [
  'ServiceUnavailableDatabase',
  'ServiceUnavailableSecret',
  'ServiceUnavailableContention',
  'IdempotentReplays',
  'PreconditionFailed',
  'ColdStarts',
] as const;
export type MetricName = (typeof metricNames)[number];

/** What a handler may do with metrics: count one of the named events. */
export interface Metrics {
  count(name: MetricName, value?: number): void;
}

/** Receives one EMF document (one line of JSON). */
export type MetricSink = (line: string) => void;

/** One invocation's counters; `flush` writes them as one document and starts over. */
export interface MetricsRecorder extends Metrics {
  /** Whether documents are written at all: METRICS=emf, or a sink passed in. */
  readonly enabled: boolean;
  /**
   * Writes the counters as one EMF document. `fields` become its other members: CloudWatch turns
   * only the named counters into metrics and keeps the rest as a searchable log line, so the
   * invocation's request line and its metrics go out as one line. With nothing counted, `fields`
   * go out as a plain line, and without them nothing is written.
   */
  flush(fields?: Record<string, unknown>): void;
}

/** Writes EMF documents to stdout, where Lambda's log stream picks them up. */
export const stdoutMetricSink: MetricSink = (line) => process.stdout.write(`${line}\n`);

/**
 * Creates a recorder with fixed `dimensions` (e.g. `{ FunctionName }`); without a sink, counting
 * costs nothing and `flush` writes nothing.
 */
export function createMetrics(
  sink: MetricSink | undefined,
  dimensions: Record<string, string>,
  clock: () => Date = () => new Date(),
): MetricsRecorder {
  let counts = new Map<MetricName, number>();
  // A document is rebuilt per invocation, but only its timestamp, counters and fields change: the
  // dimension members and the metric declaration (per set of counters) are serialised once.
  const dimensionMembers = JSON.stringify(dimensions).slice(1, -1);
  const declarations = new Map<string, string>();
  const declaration = (names: MetricName[]): string => {
    const key = names.join();
    let json = declarations.get(key);
    if (json === undefined) {
      json = JSON.stringify([
        {
          Namespace: metricsNamespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: names.map((name) => ({ Name: name, Unit: 'Count' })),
        },
      ]);
      declarations.set(key, json);
    }
    return json;
  };
  return {
    enabled: sink !== undefined,
    count(name, value = 1) {
      if (!sink) return;
      counts.set(name, (counts.get(name) ?? 0) + value);
    },
    flush(fields) {
      if (!sink) return;
      if (counts.size === 0) {
        // Nothing counted: no metric directive (an empty one is not valid EMF), only the line, if any.
        if (fields !== undefined) sink(JSON.stringify(fields));
        return;
      }
      const recorded = counts;
      counts = new Map();
      // In the order counted, which each code path fixes: a handful of declarations in all.
      const names = [...recorded.keys()];
      let members = fields === undefined ? '' : JSON.stringify(fields).slice(1, -1);
      if (members !== '') members += ',';
      members += `"_aws":{"Timestamp":${clock().getTime()},"CloudWatchMetrics":${declaration(names)}}`;
      if (dimensionMembers !== '') members += `,${dimensionMembers}`;
      for (const name of names) members += `,"${name}":${recorded.get(name)}`;
      sink(`{${members}}`);
    },
  };
}
