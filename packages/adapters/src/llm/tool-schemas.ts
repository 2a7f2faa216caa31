import { z } from 'zod';
import type { ToolName } from '@palette/domain';

/** zod schemas of the tool arguments: what the model is told, and what its calls are checked against. */
export const TOOL_SCHEMAS = {
  search_products: z.object({ query: z.string().min(1).max(200), limit: z.number().int().min(1).max(10).optional() }).strict(),
  get_product: z.object({ productId: z.string().min(1).max(100) }).strict(),
  create_order_draft: z.object({ lines: z.array(z.object({ variantId: z.string().min(1).max(100), quantity: z.number().int().min(1).max(100) }).strict()).min(1).max(20) }).strict(),
  get_order_status: z.object({ reference: z.string().min(1).max(64).optional() }).strict(),
  handoff_to_human: z.object({ reason: z.string().min(1).max(500) }).strict(),
} as const satisfies Record<ToolName, z.ZodType>;
