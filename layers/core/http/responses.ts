import type { APIGatewayProxyResult } from 'aws-lambda';

/** A JSON answer of a REST route; restHandler adds the CORS headers of the request it answers. */
export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  };
}
