import { STATUS_CODES } from 'node:http';

/** `404 Not Found`: a status code with its reason phrase, for the gateways' log lines. */
export function httpStatus(statusCode: number): string {
  return `${statusCode} ${STATUS_CODES[statusCode] ?? ''}`.trim();
}
