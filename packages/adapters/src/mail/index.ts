import { createTransport, type Transporter } from 'nodemailer';
import type { IdGenerator, Clock, Mailer, MailOutbox, MailKind, WorkspaceId } from '@palette/domain';

/** The one line a mail leaves in the logs: who and what kind, never the subject's data, the body or its links. */
export type MailLog = (fields: { mailId?: string; kind: MailKind; workspaceId: WorkspaceId | null; transport: 'outbox' | 'smtp' }, message: string) => void;

type Mail = Parameters<Mailer['send']>[0];

/**
 * The default when no SMTP server is configured: the mail goes to the `mail_outbox` table, where an
 * operator can read it. The body carries live links (reset tokens), so it is stored, not logged.
 */
export class OutboxMailer implements Mailer {
  constructor(private readonly deps: { outbox: MailOutbox; ids: IdGenerator; clock: Clock; log: MailLog }) {}

  async send(mail: Mail): Promise<void> {
    const id = this.deps.ids.next();
    await this.deps.outbox.append({
      id, workspaceId: mail.workspaceId, kind: mail.kind, to: mail.to, subject: mail.subject, body: mail.text, createdAt: this.deps.clock.now(), sentAt: null,
    });
    this.deps.log({ mailId: id, kind: mail.kind, workspaceId: mail.workspaceId, transport: 'outbox' }, 'mail stored in the outbox');
  }
}

/** Delivery through the operator's SMTP server (`SMTP_URL`, e.g. smtps://user:pass@mail.example.com). */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  /** `transport` is for tests (nodemailer's JSON transport); production passes only the URL. */
  constructor(private readonly options: { url: string; from: string; log: MailLog; transport?: Transporter }) {
    this.transport = options.transport ?? createTransport(options.url);
  }

  async send(mail: Mail): Promise<void> {
    await this.transport.sendMail({ from: this.options.from, to: mail.to, subject: mail.subject, text: mail.text });
    this.options.log({ kind: mail.kind, workspaceId: mail.workspaceId, transport: 'smtp' }, 'mail handed to the SMTP server');
  }

  close(): void {
    this.transport.close();
  }
}
