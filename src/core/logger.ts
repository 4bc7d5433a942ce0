import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino removes from every log line. Secrets also travel inside free text (an API_INFO string, a URL
 * with ?token=), which key-based redaction cannot see; `redactSecrets` below covers those, and the config
 * loader registers every secret value it read so that it is masked wherever it appears. An `api` value keeps its
 * address (useful in a log) and loses only its token, by value.
 */
const redactPaths = [
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'signingSecret',
  '*.signingSecret',
  'privateKey',
  '*.privateKey',
  'passphrase',
  '*.passphrase',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

const knownSecrets = new Set<string>();

/** Remember a secret value so that it is masked wherever it shows up in a log line or a reply. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

const jwtLike = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;
const slackToken = /xox[abposr]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}/g;
const privateKeyBlock = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/** Mask every secret the bot knows of, and anything shaped like a JWT, Slack token or private key. */
export function redactSecrets(text: string): string {
  let out = text
    .replace(privateKeyBlock, '[redacted private key]')
    .replace(jwtLike, '[redacted]')
    .replace(slackToken, '[redacted]');
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  destination?: DestinationStream;
}

/**
 * Masks secrets in each finished log line, whatever field or nested error they ended up in, just before it is
 * written: the last line of defence behind key-based redaction.
 */
function redactingStream(inner: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      return inner.write(redactSecrets(line));
    },
  } as DestinationStream;
}

/** The process logger: JSON on stderr, secrets redacted by key and by value. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination =
    options.destination ?? (options.pretty ? prettyStream() : pino.destination({ fd: 2, sync: false }));
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: redactPaths, censor: '[redacted]' },
      hooks: {
        // Masks secrets inside free text: message strings and string arguments.
        logMethod(args, method) {
          const masked = args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    redactingStream(destination),
  );
}

function prettyStream(): DestinationStream {
  // pino-pretty is a dev dependency; without it the log stays JSON.
  try {
    const require = createRequire(import.meta.url);
    const pretty = require('pino-pretty') as (opts: object) => DestinationStream;
    return pretty({ destination: 2, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' });
  } catch {
    return pino.destination({ fd: 2, sync: false });
  }
}

/** A logger that drops everything: for tests and for commands run where no log is wanted. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
