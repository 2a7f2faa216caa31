import { Migration20261129000001_foundation } from './Migration20261129000001_foundation.js';
import { Migration20261129000002_sessions_invitations } from './Migration20261129000002_sessions_invitations.js';

/** Committed migrations, in order. The app applies pending ones on start; never schema-update. */
export const migrations = [
  { name: 'Migration20261129000001_foundation', class: Migration20261129000001_foundation },
  { name: 'Migration20261129000002_sessions_invitations', class: Migration20261129000002_sessions_invitations },
];
