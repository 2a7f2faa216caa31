export { startWorker } from './start-worker.js';
export type { RunningWorker, StartWorkerOptions } from './start-worker.js';
export { loadWorkerConfig } from './config.js';
export type { WorkerConfig } from './config.js';
export { InboundMessagePayload, inboundMessageHandler, inboundMessageJobData } from './handlers/inbound-message.js';
export type { InboundMessageJobData } from './handlers/inbound-message.js';
export { createWorkerMetrics, serveMetrics } from './metrics.js';
