/** The local stack's meter of what AWS would bill: its reading (MeterSnapshot) and the parts that take it. */
export type { LambdaFunctionMeter, MeterReader, MeterSnapshot } from './snapshot';
export { Meter, messagesOf } from './meter';
export { fetchMeter } from './client';
export { meterRoutes } from './routes';
export { meterTable } from './table';
export { meterRedis, meterPostgres } from './wire';
export { templateFacts } from './template-facts';
