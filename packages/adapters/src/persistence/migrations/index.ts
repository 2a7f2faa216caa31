import { Migration20261129000001_foundation } from './Migration20261129000001_foundation.js';
import { Migration20261129000002_sessions_invitations } from './Migration20261129000002_sessions_invitations.js';
import { Migration20261129000003_auth_records } from './Migration20261129000003_auth_records.js';
import { Migration20261129000004_idempotency } from './Migration20261129000004_idempotency.js';

/** Committed migrations, in order. The app applies pending ones on start; never schema-update. */
export const migrations = [
  { name: 'Migration20261129000001_foundation', class: Migration20261129000001_foundation },
  { name: 'Migration20261129000002_sessions_invitations', class: Migration20261129000002_sessions_invitations },
  { name: 'Migration20261129000003_auth_records', class: Migration20261129000003_auth_records },
  { name: 'Migration20261129000004_idempotency', class: Migration20261129000004_idempotency },
];
