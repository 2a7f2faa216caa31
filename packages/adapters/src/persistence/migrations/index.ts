import { Migration20261129000001_foundation } from './Migration20261129000001_foundation.js';
import { Migration20261129000002_sessions_invitations } from './Migration20261129000002_sessions_invitations.js';
import { Migration20261129000003_auth_records } from './Migration20261129000003_auth_records.js';
import { Migration20261129000004_idempotency } from './Migration20261129000004_idempotency.js';
import { Migration20261129000005_instagram_webhooks } from './Migration20261129000005_instagram_webhooks.js';
import { Migration20261129000006_catalog_orders } from './Migration20261129000006_catalog_orders.js';
import { Migration20261129000007_instagram_connect_send } from './Migration20261129000007_instagram_connect_send.js';
import { Migration20261129000008_privacy } from './Migration20261129000008_privacy.js';
import { Migration20261129000009_reports } from './Migration20261129000009_reports.js';
import { Migration20261129000010_assistant } from './Migration20261129000010_assistant.js';
import { Migration20261129000011_private_reply_state } from './Migration20261129000011_private_reply_state.js';
import { Migration20261129000012_cascade_indexes } from './Migration20261129000012_cascade_indexes.js';
import { Migration20261129000013_assistant_key_secret } from './Migration20261129000013_assistant_key_secret.js';
import { Migration20261129000014_api_request_logs } from './Migration20261129000014_api_request_logs.js';
import { Migration20261129000015_message_sending_since } from './Migration20261129000015_message_sending_since.js';

/** Committed migrations, in order. The app applies pending ones on start; never schema-update. */
export const migrations = [
  { name: 'Migration20261129000001_foundation', class: Migration20261129000001_foundation },
  { name: 'Migration20261129000002_sessions_invitations', class: Migration20261129000002_sessions_invitations },
  { name: 'Migration20261129000003_auth_records', class: Migration20261129000003_auth_records },
  { name: 'Migration20261129000004_idempotency', class: Migration20261129000004_idempotency },
  { name: 'Migration20261129000005_instagram_webhooks', class: Migration20261129000005_instagram_webhooks },
  { name: 'Migration20261129000006_catalog_orders', class: Migration20261129000006_catalog_orders },
  { name: 'Migration20261129000007_instagram_connect_send', class: Migration20261129000007_instagram_connect_send },
  { name: 'Migration20261129000008_privacy', class: Migration20261129000008_privacy },
  { name: 'Migration20261129000009_reports', class: Migration20261129000009_reports },
  { name: 'Migration20261129000010_assistant', class: Migration20261129000010_assistant },
  { name: 'Migration20261129000011_private_reply_state', class: Migration20261129000011_private_reply_state },
  { name: 'Migration20261129000012_cascade_indexes', class: Migration20261129000012_cascade_indexes },
  { name: 'Migration20261129000013_assistant_key_secret', class: Migration20261129000013_assistant_key_secret },
  { name: 'Migration20261129000014_api_request_logs', class: Migration20261129000014_api_request_logs },
  { name: 'Migration20261129000015_message_sending_since', class: Migration20261129000015_message_sending_since },
];
