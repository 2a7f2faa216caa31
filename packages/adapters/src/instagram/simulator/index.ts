export { createSimulator, type Simulator, type SimulatorOptions, type SendStats } from './server.js';
export type { FaultSpec, FaultDuration } from './faults.js';
export type { CustomerAction, CustomerSendResult, DeliveryReport, DeliveryOptions, BatchOptions, CallbackResult } from './webhooks.js';
export { RATE_LIMITS, type RateBucket, type SimAccount } from './state.js';
