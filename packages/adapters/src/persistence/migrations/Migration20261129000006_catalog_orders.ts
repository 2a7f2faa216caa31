import { Migration } from '@mikro-orm/migrations';

/**
 * Catalog search, low-stock events and order notifications. Search uses a stored tsvector with the
 * `simple` configuration (no stemming: product names mix languages and SKUs), built into both
 * PostgreSQL and PGlite, so no extension is needed; variant SKUs are matched by prefix beside it.
 */
export class Migration20261129000006_catalog_orders extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table products add column search_vector tsvector generated always as (
  setweight(to_tsvector('simple', coalesce(sku, '')), 'A') || setweight(to_tsvector('simple', coalesce(name, '')), 'A') || setweight(to_tsvector('simple', coalesce(description, '')), 'C')
) stored;
create index products_search_idx on products using gin (search_vector);
create index products_workspace_created_idx on products (workspace_id, created_at, id);
create index variants_workspace_sku_lower_idx on variants (workspace_id, lower(sku) text_pattern_ops);

create table low_stock_events (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  variant_id uuid not null references variants (id) on delete cascade deferrable initially deferred,
  sku text not null,
  available integer not null,
  threshold integer not null check (threshold >= 0),
  at timestamptz not null
);
create index low_stock_events_workspace_idx on low_stock_events (workspace_id, at desc, id desc);

alter table orders add column notification jsonb;
create index orders_workspace_created_idx on orders (workspace_id, created_at desc, id desc);
create index orders_workspace_contact_idx on orders (workspace_id, contact_id, created_at desc) where contact_id is not null;
create index stock_movements_order_idx on stock_movements (workspace_id, order_id) where order_id is not null;
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
drop index if exists stock_movements_order_idx;
drop index if exists orders_workspace_contact_idx;
drop index if exists orders_workspace_created_idx;
alter table orders drop column if exists notification;
drop table if exists low_stock_events;
drop index if exists variants_workspace_sku_lower_idx;
drop index if exists products_workspace_created_idx;
drop index if exists products_search_idx;
alter table products drop column if exists search_vector;
`);
  }
}
