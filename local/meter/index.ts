/** The local stack's meter of what AWS would bill: its reading (MeterSnapshot) and the parts that take it. */
export type {
  ApiGatewayMeter,
  LambdaFunctionMeter,
  ManagementApiMeter,
  MeterReader,
  MeterSnapshot,
  PostgresMeter,
  RedisMeter,
  StepFunctionsMeter,
} from './snapshot';
export { Meter, messagesOf, MESSAGE_STEP_BYTES, EXPRESS_BILLING_STEP_MS, type MeterOptions, type MeteredFunction } from './meter';
export { meterRoutes } from './routes';
export { meterTable } from './table';
export { meterRedis, meterPostgres, type MeteredBackend } from './wire';
export { readTemplateFacts } from './template-facts';
