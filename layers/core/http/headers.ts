/** A request header's value by name, whatever its case (API Gateway keeps the case the client sent). */
export function headerValue(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const key = Object.keys(headers ?? {}).find((candidate) => candidate.toLowerCase() === wanted);
  return key ? headers?.[key] : undefined;
}
