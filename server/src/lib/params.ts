import { z } from 'zod';

/** `:id` of a document with a MongoDB ObjectId: anything else is a 400 before the database is asked. */
export const ObjectIdParamsSchema = z.strictObject({ id: z.string().regex(/^[0-9a-f]{24}$/, 'an id') });
