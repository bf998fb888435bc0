import { pino, type Logger } from 'pino';

/** JSON logs to stdout; `err` objects are serialised with their message and stack, in the log only. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'bet-maker' } });
}
