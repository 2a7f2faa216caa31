import { z } from 'zod';
import type { InboundMessageCommand, ReceiveInboundMessage } from '@palette/domain';
import { PermanentJobError, type JobHandler } from '@palette/adapters/queue';

const ENTRY_POINTS = ['organic_dm', 'ad_referral', 'link_referral', 'story_reply', 'story_mention', 'comment'] as const;

/** The `inbound.message` payload: an InboundMessageCommand as JSON, dates as ISO strings. */
export const InboundMessagePayload = z
  .object({
    igUserId: z.string().min(1),
    senderIgsid: z.string().min(1),
    platformMessageId: z.string().min(1),
    text: z.string().nullable(),
    attachments: z.array(z.object({ type: z.string().min(1), url: z.string().nullable() })),
    replyTo: z.string().nullable(),
    sentAt: z.iso.datetime({ offset: true }).transform((value) => new Date(value)),
    entryPoint: z.enum(ENTRY_POINTS),
  })
  .strip();

export type InboundMessageJobData = z.input<typeof InboundMessagePayload>;

/** Builds the payload a producer sends, so both sides agree on the shape. */
export function inboundMessageJobData(command: InboundMessageCommand): InboundMessageJobData {
  return { ...command, attachments: [...command.attachments], sentAt: command.sentAt.toISOString() };
}

/**
 * Stores a customer's DM through ReceiveInboundMessage, resolved per job (its own unit of work).
 * Idempotent through the use case: the same platform message id twice stores one message.
 */
export function inboundMessageHandler(resolve: () => ReceiveInboundMessage): JobHandler {
  return async (job) => {
    const parsed = InboundMessagePayload.safeParse(job.data);
    if (!parsed.success) {
      // Paths only: the values are customer text.
      throw new PermanentJobError(`Invalid inbound.message payload: ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`);
    }
    const result = await resolve().execute(parsed.data);
    if (!result.ok) {
      // A message for an account we do not (or no longer) know: retrying cannot make it known.
      throw new PermanentJobError(`Unknown Instagram account ${result.error.igUserId}`);
    }
  };
}
