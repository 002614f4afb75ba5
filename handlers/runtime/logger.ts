import type { LogLevel } from './config.ts';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

/** A structured JSON logger: one line per event. Callers pass facts, never tokens, passwords or bodies. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  /**
   * What `level(message, fields)` would write, as an object, written nowhere (undefined below the
   * logger's level): for a line that goes out inside another document (the invocation's EMF document).
   */
  entry(level: LogLevel, message: string, fields?: LogFields): LogFields | undefined;
}

export type LogSink = (line: string) => void;

const stdout: LogSink = (line) => process.stdout.write(`${line}\n`);

/**
 * A logger per request, so it is cheap to make: a child is one object holding its own fields and
 * its parent, with the methods on the prototype; the fields are merged only when a line is written,
 * which most requests never do (a closure per method per child, or a merge per child, cost more
 * than the line).
 */
class JsonLogger implements Logger {
  constructor(
    private readonly level: number,
    private readonly fields: LogFields,
    private readonly sink: LogSink,
    private readonly parent?: JsonLogger,
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.level, fields, this.sink, this);
  }

  entry(level: LogLevel, message: string, fields?: LogFields): LogFields | undefined {
    if (order[level] < this.level) return undefined;
    return Object.assign(this.base({ level, time: new Date().toISOString(), message }), fields);
  }

  /** `line` with this logger's fields and its ancestors', the nearest winning. */
  private base(line: LogFields): LogFields {
    this.parent?.base(line);
    // Object.assign, not spread: see jsonResponse in response.ts.
    return Object.assign(line, this.fields);
  }

  private write(at: LogLevel, message: string, fields: LogFields | undefined): void {
    if (order[at] < this.level) return;
    const line = Object.assign(this.base({ level: at, time: new Date().toISOString(), message }), fields);
    // The replacer visits every key; only a line with a nested value can carry an error.
    let nested = false;
    for (const key in fields) {
      const value = fields[key];
      if (typeof value === 'object' && value !== null) nested = true;
    }
    this.sink(nested ? JSON.stringify(line, errorReplacer) : JSON.stringify(line));
  }
}

/** Creates a logger that writes JSON lines at or above `level` to `sink` (stdout by default). */
export function createLogger(level: LogLevel, base: LogFields = {}, sink: LogSink = stdout): Logger {
  return new JsonLogger(order[level], base, sink);
}

/** Errors serialise to name, message, code and stack — never to their own enumerable extras (pg puts query text there). */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code ? { code } : {}), stack: value.stack };
  }
  return value;
}
