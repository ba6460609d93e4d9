/**
 * A small leveled logger with OpenVPN's `verb` scale.
 *
 * verb 0 prints only fatal errors, 1–3 normal operation (3 is OpenVPN's usual
 * default), 4 adds option dumps and per-session detail, 5+ is debugging. `mute N`
 * suppresses more than N consecutive messages of the same category, as OpenVPN's
 * `--mute` does.
 *
 * Secrets never reach this module: values that hold key material are typed and
 * printed as `<redacted>` by their own `toString`, and callers log identifiers
 * (key ids, SAE ids, usernames), never bytes of a key or a password.
 * @module
 */

export type LogSink = (line: string) => void;

export interface LoggerOptions {
  verb: number;
  mute?: number;
  sink?: LogSink;
  /** Prefix each line with an ISO timestamp (off under systemd, which stamps lines itself). */
  timestamps?: boolean;
}

export const LogLevel = { fatal: 0, error: 1, warn: 1, info: 3, verbose: 4, debug: 5, trace: 7 } as const;

export class Logger {
  private verb: number;
  private readonly mute: number;
  private readonly sink: LogSink;
  private readonly timestamps: boolean;
  private lastCategory = '';
  private repeats = 0;

  constructor(options: LoggerOptions) {
    this.verb = options.verb;
    this.mute = options.mute ?? 0;
    this.sink = options.sink ?? ((line) => process.stderr.write(`${line}\n`));
    this.timestamps = options.timestamps ?? false;
  }

  get level(): number {
    return this.verb;
  }

  setLevel(verb: number): void {
    this.verb = verb;
  }

  enabled(level: number): boolean {
    return level <= this.verb;
  }

  error(message: string, category = 'error'): void {
    this.write(LogLevel.error, 'ERROR', message, category);
  }
  warn(message: string, category = 'warn'): void {
    this.write(LogLevel.warn, 'WARNING', message, category);
  }
  info(message: string, category = 'info'): void {
    this.write(LogLevel.info, '', message, category);
  }
  verbose(message: string, category = 'verbose'): void {
    this.write(LogLevel.verbose, '', message, category);
  }
  debug(message: string, category = 'debug'): void {
    this.write(LogLevel.debug, 'DEBUG', message, category);
  }

  private write(level: number, tag: string, message: string, category: string): void {
    if (!this.enabled(level)) return;
    if (this.mute > 0) {
      if (category === this.lastCategory) {
        this.repeats++;
        if (this.repeats > this.mute) return;
      } else {
        if (this.repeats > this.mute)
          this.emit('', `[previous message repeated, ${this.repeats - this.mute} muted]`);
        this.lastCategory = category;
        this.repeats = 1;
      }
    }
    this.emit(tag, message);
  }

  private emit(tag: string, message: string): void {
    const stamp = this.timestamps ? `${new Date().toISOString()} ` : '';
    this.sink(`${stamp}${tag ? `${tag}: ` : ''}${message}`);
  }
}

/** A logger that drops everything; for tests and library callers that log themselves. */
export const silentLogger = new Logger({ verb: -1, sink: () => {} });
