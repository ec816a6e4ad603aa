import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

// Readable lines for a person at a terminal; JSON lines for everything else (log collectors, the
// tests, which read the "listening" line). Pretty printing runs in this thread, synchronously: a
// terminal session is not where throughput matters, and it spares a transport worker.
export function createLogger(level: string, stream: NodeJS.WriteStream = process.stdout): Logger {
  if (!stream.isTTY) return pino({ level });
  return pino({ level }, PinoPretty({ colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname', destination: stream, sync: true }));
}
