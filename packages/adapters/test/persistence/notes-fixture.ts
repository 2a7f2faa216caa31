import { randomUUID } from 'node:crypto';
import { EntitySchema } from '@mikro-orm/core';
import type { MigrationObject, Opt } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';

/** Shaped like a domain class: built through its constructor, no decorators, mapped from outside. */
export class Note {
  /** Set by the database (`default now()`) and read back through INSERT … RETURNING. */
  readonly createdAt!: Opt<Date>;

  constructor(
    readonly id: string,
    public body: string,
  ) {}

  static write(body: string): Note {
    return new Note(randomUUID(), body);
  }
}

export const NoteSchema = new EntitySchema<Note>({
  class: Note,
  tableName: 'notes',
  properties: {
    id: { type: 'uuid', primary: true },
    body: { type: 'text' },
    createdAt: { type: 'datetime', fieldName: 'created_at', defaultRaw: 'now()' },
  },
});

export class CreateNotes extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "notes" ("id" uuid not null primary key, "body" text not null, "created_at" timestamptz not null default now())',
    );
  }
}

/** Several statements in one text: the multi-statement path the `;` fix must leave alone. */
export class CommentNotes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`comment on table "notes" is 'test-only; see notes-fixture.ts'; comment on column "notes"."body" is 'any text';`);
  }
}

export const notesMigrations: MigrationObject[] = [
  { name: 'Migration20250101000000_create_notes', class: CreateNotes },
  { name: 'Migration20250101000100_comment_notes', class: CommentNotes },
];

export const notesEntities = [NoteSchema];
