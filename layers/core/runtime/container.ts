/**
 * What one Lambda container keeps between invocations. Each client is made by the module that owns it
 * (config.ts, redis.ts, postgres.ts, push.ts), once, the first time a function asks for it (at module
 * scope, so during init), and only in the functions that ask: a function's bundle holds only the
 * modules it imports. closeContainer() closes whatever was made (tests, the local runtime's shutdown);
 * on Lambda the clients live as long as the container.
 */
const open = new Set<() => Promise<unknown>>();

/** A value made once per container by `create`, released by `close` (if any) and forgotten in closeContainer(). */
export function containerScoped<T>(create: () => T, close: (value: T) => Promise<unknown> = async () => undefined): () => T {
  let made: { value: T } | undefined;
  return () => {
    if (!made) {
      const current = { value: create() };
      made = current;
      open.add(() => {
        if (made === current) made = undefined;
        return close(current.value);
      });
    }
    return made.value;
  };
}

/** Closes every client made so far (each at most once; a failure to close one does not stop the others). */
export async function closeContainer(): Promise<void> {
  const closing = [...open];
  open.clear();
  await Promise.allSettled(closing.map(async (close) => close()));
}
