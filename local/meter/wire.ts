/**
 * Puts a counting proxy (tcp-proxy.ts) in front of the stack's Redis and PostgreSQL, whichever they
 * are (a private redis-server, the in-process emulation, the embedded PGlite, or the user's REDIS_URL
 * and DATABASE_URL), and gives back the URL the handlers use instead: the same URL with the proxy's
 * loopback address. A server reached over TLS is not proxied (the proxy could not read it, and the
 * client would check the server's certificate against the proxy's address): then the handlers get the
 * URL as it was and the reason goes into the meter's notes.
 */
import type { Meter } from './meter';
import { PgFrontendReader } from './pg-messages';
import { RespRequestReader } from './resp-requests';
import { startTcpProxy, type WireTap } from './tcp-proxy';

export interface MeteredBackend {
  /** What the handlers connect to. */
  url: string;
  close(): Promise<void>;
}

function unmetered(url: string, meter: Meter, why: string): MeteredBackend {
  meter.note(why);
  return { url, close: async () => undefined };
}

/** The URL with its host and port replaced by the proxy's, everything else (user, password, database) kept. */
function throughProxy(url: URL, port: number): string {
  const proxied = new URL(url.toString());
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return proxied.toString();
}

function target(url: URL, defaultPort: number): { host: string; port: number } {
  // IPv6 literals come bracketed in URL.hostname.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || defaultPort) };
}

export async function meterRedis(url: string, meter: Meter): Promise<MeteredBackend> {
  const parsed = new URL(url);
  if (parsed.protocol === 'rediss:') {
    return unmetered(
      url,
      meter,
      "redis: not metered: the stack's Redis is reached over TLS (rediss://), which the counting proxy cannot read; the redis counts stay 0.",
    );
  }
  const proxy = await startTcpProxy(target(parsed, 6379), (): WireTap => {
    const reader = new RespRequestReader((name) => meter.redis.command(name));
    return {
      clientData: (chunk) => {
        meter.redis.bytes(chunk.length, 0);
        if (reader.ok) reader.push(chunk);
      },
      serverData: (chunk) => meter.redis.bytes(0, chunk.length),
    };
  });
  return { url: throughProxy(parsed, proxy.port), close: () => proxy.close() };
}

/** libpq's sslmode values that encrypt (prefer may fall back, but would encrypt against a server with TLS). */
const ENCRYPTING_SSL_MODES = new Set(['prefer', 'require', 'verify-ca', 'verify-full']);

export async function meterPostgres(url: string, meter: Meter): Promise<MeteredBackend> {
  const parsed = new URL(url);
  const sslMode = parsed.searchParams.get('sslmode');
  const ssl = parsed.searchParams.get('ssl');
  if ((sslMode && ENCRYPTING_SSL_MODES.has(sslMode)) || (ssl && ssl !== 'false' && ssl !== '0')) {
    return unmetered(
      url,
      meter,
      'postgres: not metered: DATABASE_URL asks for TLS, which the counting proxy cannot read; the postgres counts stay 0.',
    );
  }
  if (parsed.searchParams.has('host') || decodeURIComponent(parsed.hostname).startsWith('/')) {
    return unmetered(
      url,
      meter,
      'postgres: not metered: DATABASE_URL names a Unix socket, which the counting proxy does not serve; the postgres counts stay 0.',
    );
  }
  const proxy = await startTcpProxy(target(parsed, 5432), (): WireTap => {
    const reader = new PgFrontendReader({ session: () => meter.postgres.session(), query: () => meter.postgres.query() });
    return {
      clientData: (chunk) => {
        meter.postgres.bytes(chunk.length, 0);
        reader.clientData(chunk);
      },
      serverData: (chunk) => {
        meter.postgres.bytes(0, chunk.length);
        reader.serverData(chunk);
      },
    };
  });
  return { url: throughProxy(parsed, proxy.port), close: () => proxy.close() };
}
