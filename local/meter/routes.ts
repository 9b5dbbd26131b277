/**
 * The meter on the REST port, outside the API (local only, never counted as REST requests):
 *
 *   GET  /local/meter        the MeterSnapshot as JSON
 *   POST /local/meter/reset  zeroes the counts and answers the fresh snapshot; requires
 *                            Content-Type: application/json, so no cross-site form can reset it
 *
 * Chained into the REST gateway's fallback before the page's own helper routes (local/app.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MeterReader } from './snapshot';

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}

/** Resolves true when it answered the request. */
export function meterRoutes(meter: MeterReader) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    if (pathname === '/local/meter' && method === 'GET') {
      json(response, 200, meter.snapshot());
      return true;
    }
    if (pathname === '/local/meter/reset' && method === 'POST') {
      // A cross-site form can only send form or text content types; JSON needs a CORS preflight we never answer.
      if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
        request.resume();
        json(response, 415, { message: 'Send the reset as application/json (e.g. an empty {} body)' });
        return true;
      }
      request.resume();
      meter.reset();
      json(response, 200, meter.snapshot());
      return true;
    }
    return false;
  };
}
