/** A push reached its connection, or the connection is gone (API Gateway's 410). */
export type DeliveryResult = 'sent' | 'gone';

/**
 * The two things the core asks of API Gateway's @connections API (push/connection-gateway.ts). A gone
 * connection resolves 'gone' (its caller compares and deletes it); every other failure rejects with a
 * PushError (push/push-error.ts).
 */
export interface ConnectionGateway {
  post(connectionId: string, data: Uint8Array): Promise<DeliveryResult>;
  close(connectionId: string): Promise<DeliveryResult>;
}
