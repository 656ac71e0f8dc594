import { z } from 'zod';

/** What the app fetches once to generate member, coupon and sign-up codes offline. */
export const CodeKeyAnswerSchema = z
  .object({
    secret: z.string().regex(/^[A-Z2-7]+$/).describe('The member’s code secret, base32 (RFC 4648, no padding).'),
    stepSeconds: z.number().int().min(1),
    digits: z.literal(8),
    numericHandle: z.string().regex(/^\d{8}$/).describe('The member’s 8-digit handle in the numeric (typeable) form of their codes.'),
  })
  .meta({ id: 'CodeKeyAnswer', description: 'The key and parameters for generating codes on the phone.' });
export type CodeKeyAnswer = z.infer<typeof CodeKeyAnswerSchema>;
