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
}

export type LogSink = (line: string) => void;

const stdout: LogSink = (line) => process.stdout.write(`${line}\n`);

/** Creates a logger that writes JSON lines at or above `level` to `sink` (stdout by default). */
export function createLogger(level: LogLevel, base: LogFields = {}, sink: LogSink = stdout): Logger {
  const write = (at: LogLevel, message: string, fields?: LogFields) => {
    if (order[at] < order[level]) return;
    const line = { level: at, time: new Date().toISOString(), message, ...base, ...fields };
    // The replacer visits every key; only a line with a nested value can carry an error.
    const nested =
      fields !== undefined && Object.values(fields).some((value) => typeof value === 'object' && value !== null);
    sink(nested ? JSON.stringify(line, errorReplacer) : JSON.stringify(line));
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createLogger(level, { ...base, ...fields }, sink),
  };
}

/** Errors serialise to name, message, code and stack — never to their own enumerable extras (pg puts query text there). */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code ? { code } : {}), stack: value.stack };
  }
  return value;
}
