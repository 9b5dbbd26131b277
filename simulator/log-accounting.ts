/**
 * What CloudWatch Logs would ingest from the stack's stdout: every JSON line a function writes
 * through Powertools (it names its `function_name`, the logical id locally) and every EMF metrics line
 * (a JSON object with `_aws`), each counted as its bytes plus the newline. The local gateway's own
 * plain-text lines and the start-up banner exist only locally and are not counted.
 */

export interface LogTotals {
  /** Bytes of the functions' own log lines, by function. */
  bytesByFunction: Record<string, number>;
  /** Bytes of EMF lines (they name no function; CloudWatch bills them as log ingestion too). */
  emfBytes: number;
  /** Lines counted (function lines and EMF lines). */
  lines: number;
  emfLines: number;
  /** Function lines by level (INFO, WARN, ERROR, ...). */
  byLevel: Record<string, number>;
}

/** A warning or error a function logged, for the run's report on stderr. */
export interface LoggedProblem {
  level: string;
  functionName: string;
  message: string;
  error?: string;
}

const KEPT_PROBLEMS = 20;

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;

export class LogAccounting {
  private partial: Buffer[] = [];
  private totals: LogTotals = LogAccounting.empty();
  /** The first warnings and errors since the last reset. */
  problems: LoggedProblem[] = [];

  private static empty(): LogTotals {
    return { bytesByFunction: {}, emfBytes: 0, lines: 0, emfLines: 0, byLevel: {} };
  }

  /** Feeds a chunk of stdout (chunks split lines anywhere). */
  push(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE, start); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, newline);
      const line = this.partial.length > 0 ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      this.line(line);
      start = newline + 1;
    }
    if (start < chunk.length) this.partial.push(Buffer.from(chunk.subarray(start)));
  }

  private line(line: Buffer): void {
    if (line[0] !== OPEN_BRACE) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.toString('utf8'));
    } catch {
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
    const record = parsed as Record<string, unknown>;
    const bytes = line.length + 1;
    if ('_aws' in record) {
      this.totals.emfBytes += bytes;
      this.totals.emfLines += 1;
      this.totals.lines += 1;
    } else if (typeof record.function_name === 'string') {
      const name = record.function_name;
      this.totals.bytesByFunction[name] = (this.totals.bytesByFunction[name] ?? 0) + bytes;
      this.totals.lines += 1;
      const level = typeof record.level === 'string' ? record.level : 'UNKNOWN';
      this.totals.byLevel[level] = (this.totals.byLevel[level] ?? 0) + 1;
      if (level !== 'INFO' && level !== 'DEBUG' && level !== 'TRACE' && this.problems.length < KEPT_PROBLEMS) {
        const error = record.error ?? record.reason;
        this.problems.push({ level, functionName: name, message: typeof record.message === 'string' ? record.message : '', ...(error === undefined ? {} : { error: typeof error === 'string' ? error : JSON.stringify(error) }) });
      }
    }
  }

  reset(): void {
    this.totals = LogAccounting.empty();
    this.problems = [];
  }

  snapshot(): LogTotals {
    return { ...this.totals, bytesByFunction: { ...this.totals.bytesByFunction }, byLevel: { ...this.totals.byLevel } };
  }
}
