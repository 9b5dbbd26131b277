/**
 * bench/sweep-scale.ts's process environment, imported before anything else:
 * the core's logger reads its level once, when it loads. Quiet per-batch logs;
 * the client needs some credentials to sign requests to the local sink.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
