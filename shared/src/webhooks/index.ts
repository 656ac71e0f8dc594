import { z } from 'zod';
import { IsoDateTimeSchema, humanText } from '../common';

// Outbound webhooks: the events HQ can subscribe an endpoint to, the endpoints and the delivery log as the
// console sees them, and the signing scheme a receiver checks (README: Webhooks).

export const WEBHOOK_EVENT_TYPES = ['member.joined', 'points.changed', 'coupon.issued', 'coupon.redeemed', 'order.recorded', 'signup.paid'] as const;
export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES).meta({ id: 'WebhookEventType', description: 'An event an endpoint can subscribe to.' });
export type WebhookEventType = z.infer<typeof WebhookEventTypeSchema>;

/** Headers of every delivery; the signature is HMAC-SHA256(secret, `${timestamp}.${body}`) in lowercase hex. */
export const WEBHOOK_HEADERS = {
  eventId: 'X-Membercard-Event-Id',
  eventType: 'X-Membercard-Event',
  timestamp: 'X-Membercard-Timestamp',
  signature: 'X-Membercard-Signature',
} as const;

/** What is signed: the Unix-seconds timestamp header, a dot, and the raw request body. */
export function webhookStringToSign(timestamp: string, body: string): string {
  return `${timestamp}.${body}`;
}

export const WebhookEndpointIdSchema = z.string().regex(/^whe_[a-f0-9]{16}$/).meta({ id: 'WebhookEndpointId', description: 'A webhook endpoint id (whe_<16 hex>).' });

const WebhookUrlSchema = z
  .string()
  .max(500)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), { message: 'http or https URLs only' });

export const WebhookEndpointSchema = z
  .object({
    id: WebhookEndpointIdSchema,
    url: z.string(),
    description: z.string(),
    events: z.array(WebhookEventTypeSchema),
    status: z.enum(['active', 'disabled']),
    createdAt: IsoDateTimeSchema,
    updatedAt: IsoDateTimeSchema,
  })
  .meta({ id: 'WebhookEndpoint', description: 'An HQ-registered receiver of events; its secret is shown only when created.' });
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;

export const WebhookEndpointCreatedSchema = WebhookEndpointSchema.extend({
  secret: z.string().describe('The HMAC-SHA256 signing secret (whsec_…). Shown once, here.'),
}).meta({ id: 'WebhookEndpointCreated' });
export type WebhookEndpointCreated = z.infer<typeof WebhookEndpointCreatedSchema>;

export const WebhookEndpointListSchema = z.object({ items: z.array(WebhookEndpointSchema) }).meta({ id: 'WebhookEndpointList' });

export const WebhookEndpointCreateBodySchema = z
  .strictObject({
    url: WebhookUrlSchema,
    description: humanText({ max: 60 }).optional(),
    events: z.array(WebhookEventTypeSchema).min(1).max(WEBHOOK_EVENT_TYPES.length),
  })
  .meta({ id: 'WebhookEndpointCreateBody' });
export type WebhookEndpointCreateBody = z.infer<typeof WebhookEndpointCreateBodySchema>;

export const WebhookEndpointUpdateBodySchema = z
  .strictObject({
    url: WebhookUrlSchema.optional(),
    description: humanText({ max: 60 }).optional(),
    events: z.array(WebhookEventTypeSchema).min(1).max(WEBHOOK_EVENT_TYPES.length).optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .meta({ id: 'WebhookEndpointUpdateBody' });
export type WebhookEndpointUpdateBody = z.infer<typeof WebhookEndpointUpdateBodySchema>;

export const WebhookEndpointParamsSchema = z.strictObject({ endpointId: WebhookEndpointIdSchema }).meta({ id: 'WebhookEndpointParams' });
export const WebhookDeliveryParamsSchema = z.strictObject({ deliveryId: z.string().regex(/^[a-f0-9]{24}$/) }).meta({ id: 'WebhookDeliveryParams' });

export const WebhookDeliveryQuerySchema = z
  .strictObject({
    endpointId: WebhookEndpointIdSchema.optional(),
    status: z.enum(['pending', 'delivered', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .meta({ id: 'WebhookDeliveryQuery' });

export const WebhookAttemptSchema = z
  .object({
    n: z.number().int(),
    at: IsoDateTimeSchema,
    ok: z.boolean(),
    httpStatus: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
  })
  .meta({ id: 'WebhookAttempt' });

export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    endpointId: WebhookEndpointIdSchema,
    eventId: z.string(),
    eventType: WebhookEventTypeSchema,
    memberId: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    createdAt: IsoDateTimeSchema,
    nextAttemptAt: IsoDateTimeSchema.nullable(),
    deliveredAt: IsoDateTimeSchema.nullable(),
    giveUpAt: IsoDateTimeSchema,
    attempts: z.array(WebhookAttemptSchema),
  })
  .meta({ id: 'WebhookDelivery', description: 'One event to one endpoint: its attempts, and whether it was acknowledged (2xx) or given up.' });
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

export const WebhookDeliveryListSchema = z.object({ items: z.array(WebhookDeliverySchema) }).meta({ id: 'WebhookDeliveryList' });
