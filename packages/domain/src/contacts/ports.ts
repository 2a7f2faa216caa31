import type { ContactId, InstagramAccountId, WorkspaceId } from '../shared/ids.js';
import type { Contact } from './contact.js';

export interface ContactRepository {
  get(workspaceId: WorkspaceId, id: ContactId): Promise<Contact | null>;
  /** Anonymised contacts have no Instagram id, so a returning customer becomes a fresh contact. */
  findByIgsid(accountId: InstagramAccountId, igsid: string): Promise<Contact | null>;
  save(contact: Contact): Promise<void>;
  delete(contact: Contact): Promise<void>;
}
