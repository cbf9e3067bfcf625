/**
 * The member's log, as etcd's (zap, JSON) reads: one JSON object a line with an ISO-8601
 * `ts`, the level by name, the message in `msg`, IDs in hex; written to stderr by default
 * (etcd's `--log-outputs=default`), or to stdout, or appended to files.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../server/config.js';

export interface LogOptions {
  readonly level: LogLevel;
  readonly name: string;
  /** etcd's `--log-outputs`: `default` and `stderr` are stderr, `stdout`, or a file path. */
  readonly outputs?: readonly string[];
}

function destination(output: string): DestinationStream {
  if (output === 'default' || output === 'stderr') return pino.destination({ fd: 2, sync: true });
  if (output === 'stdout') return pino.destination({ fd: 1, sync: true });
  return pino.destination({ dest: output, append: true, mkdir: true, sync: true });
}

/** etcd's zap encoder writes `"ts":"2006-01-02T15:04:05.000Z"`. */
const isoTs = (): string => `,"ts":"${new Date().toISOString()}"`;

export function createLogger(o: LogOptions): PinoLogger {
  const outputs = [...new Set(o.outputs ?? ['default'])];
  const streams = outputs.map(destination);
  const stream = streams.length === 1 ? (streams[0] as DestinationStream) : pino.multistream(streams.map((s) => ({ stream: s, level: 'trace' as const })));
  return pino(
    {
      level: o.level === 'panic' ? 'fatal' : o.level,
      base: { name: o.name },
      timestamp: isoTs,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}
