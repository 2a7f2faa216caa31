import { entities } from './schemas/entities.js';
import { migrations } from './migrations/index.js';

/** What the apps pass to openDatabase: every mapping and every committed migration. */
export function persistenceModule() {
  return { entities, migrations };
}
