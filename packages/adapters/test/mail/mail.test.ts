import { describe, expect, it } from 'vitest';
import { createTransport } from 'nodemailer';
import { createInMemoryRepositories, createInMemoryAuthRecords, FakeClock, SequentialIds } from '@palette/domain/in-memory';
import { OutboxMailer, SmtpMailer, type MailLog } from '@palette/adapters/mail';

const SECRET_LINK = 'https://shop.example/reset-password#token=s3cr3t-t0ken';
const mail = { to: 'ana@example.com', subject: 'Reset your Palette password', text: `Open ${SECRET_LINK}`, workspaceId: null, kind: 'password_reset' as const };

function recordingLog(): { log: MailLog; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (fields, message) => lines.push(JSON.stringify({ ...fields, message })) };
}

describe('OutboxMailer', () => {
  it('stores the whole mail in the outbox and logs one line without the body', async () => {
    const repos = createInMemoryRepositories();
    const { outbox } = createInMemoryAuthRecords(repos.db);
    const { log, lines } = recordingLog();
    await new OutboxMailer({ outbox, ids: new SequentialIds(), clock: new FakeClock('2026-03-01T10:00:00Z'), log }).send(mail);
    expect(await outbox.listTo('ana@example.com')).toEqual([
      expect.objectContaining({ to: 'ana@example.com', subject: mail.subject, body: mail.text, kind: 'password_reset', sentAt: null }),
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('s3cr3t');
    expect(lines[0]).not.toContain('ana@example.com');
  });
});

describe('SmtpMailer', () => {
  it('hands the mail to the transport with the configured From, and logs without the body', async () => {
    const { log, lines } = recordingLog();
    const sent: unknown[] = [];
    const transport = createTransport({ jsonTransport: true });
    const original = transport.sendMail.bind(transport);
    const spy = (async (message: Parameters<typeof original>[0]) => {
      const info = await original(message);
      sent.push(JSON.parse(String((info as { message: string }).message)));
      return info;
    }) as typeof transport.sendMail;
    transport.sendMail = spy;
    await new SmtpMailer({ url: 'smtp://unused', from: 'Shop <shop@example.com>', log, transport }).send(mail);
    expect(sent).toEqual([expect.objectContaining({ subject: mail.subject, text: mail.text, from: { address: 'shop@example.com', name: 'Shop' } })]);
    expect(lines.join('\n')).not.toContain('s3cr3t');
  });
});
