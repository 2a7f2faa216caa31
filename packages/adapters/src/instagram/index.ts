export { parseWebhookDelivery, normalizeTimestamp, dedupeKey, type InstagramEvent, type ParsedDelivery, type ParsedEvent, type QuarantinedItem, type Attachment } from './webhook-events.js';
