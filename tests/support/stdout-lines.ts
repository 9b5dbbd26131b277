/**
 * Collects the JSON lines (Powertools logs and EMF metrics) that handlers write to stdout while a call
 * runs, and keeps them out of the test output.
 */
export async function stdoutLines<T>(call: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[]; raw: string }> {
  let raw = '';
  const captured = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    raw += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    const result = await call();
    // Pushes and metrics of the invocation are written before it resolves; nothing is buffered.
    const lines = raw
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { result, lines, raw };
  } finally {
    captured.mockRestore();
  }
}

/** The EMF blobs among the lines, as metric name -> values (single values become one-element arrays). */
export function emfMetrics(lines: Record<string, unknown>[]): Map<string, { values: number[]; dimensions: Record<string, unknown> }[]> {
  const metrics = new Map<string, { values: number[]; dimensions: Record<string, unknown> }[]>();
  for (const line of lines) {
    const aws = line._aws as { CloudWatchMetrics?: { Dimensions: string[][]; Metrics: { Name: string }[] }[] } | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      const dimensions = Object.fromEntries(directive.Dimensions.flat().map((name) => [name, line[name]]));
      for (const { Name } of directive.Metrics) {
        const value = line[Name];
        const list = metrics.get(Name) ?? [];
        list.push({ values: Array.isArray(value) ? (value as number[]) : [value as number], dimensions });
        metrics.set(Name, list);
      }
    }
  }
  return metrics;
}
