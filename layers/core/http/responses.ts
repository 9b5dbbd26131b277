import type { APIGatewayProxyResult } from 'aws-lambda';

export function jsonResponse(statusCode: number, body: unknown, corsOrigin: string): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      'Content-Type': 'application/json',
      'Access-Control-Allow-Origin': corsOrigin,
      'Access-Control-Allow-Credentials': corsOrigin === '*' ? 'false' : 'true',
      Vary: 'Origin',
    },
    body: JSON.stringify(body),
  };
}
