declare const brand: unique symbol;
/** A nominal string type: a ContactId cannot be passed where an OrderId is expected. */
export type Brand<T, Name extends string> = T & { readonly [brand]: Name };

export type WorkspaceId = Brand<string, 'WorkspaceId'>;
export type UserId = Brand<string, 'UserId'>;
export type MembershipId = Brand<string, 'MembershipId'>;
export type InstagramAccountId = Brand<string, 'InstagramAccountId'>;
export type SecretId = Brand<string, 'SecretId'>;
export type ContactId = Brand<string, 'ContactId'>;
export type ConversationId = Brand<string, 'ConversationId'>;
export type MessageId = Brand<string, 'MessageId'>;
export type ProductId = Brand<string, 'ProductId'>;
export type VariantId = Brand<string, 'VariantId'>;
export type StockMovementId = Brand<string, 'StockMovementId'>;
export type OrderId = Brand<string, 'OrderId'>;
export type DataSubjectRequestId = Brand<string, 'DataSubjectRequestId'>;
export type ReceiptId = Brand<string, 'ReceiptId'>;
export type AuditEntryId = Brand<string, 'AuditEntryId'>;

/** The casts live here so the rest of the code never writes `as XxxId`. */
export const Ids = {
  workspace: (s: string) => s as WorkspaceId,
  user: (s: string) => s as UserId,
  membership: (s: string) => s as MembershipId,
  instagramAccount: (s: string) => s as InstagramAccountId,
  secret: (s: string) => s as SecretId,
  contact: (s: string) => s as ContactId,
  conversation: (s: string) => s as ConversationId,
  message: (s: string) => s as MessageId,
  product: (s: string) => s as ProductId,
  variant: (s: string) => s as VariantId,
  stockMovement: (s: string) => s as StockMovementId,
  order: (s: string) => s as OrderId,
  dataSubjectRequest: (s: string) => s as DataSubjectRequestId,
  receipt: (s: string) => s as ReceiptId,
  auditEntry: (s: string) => s as AuditEntryId,
};
