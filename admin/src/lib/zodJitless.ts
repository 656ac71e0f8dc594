import { z } from 'zod';

// Imported first by main.tsx, before any module that builds a schema: zod decides at each object schema's
// construction whether to compile a fast parser, probing `new Function` to find out. The console's
// Content-Security-Policy has no 'unsafe-eval' (the probe is a CSP violation), so parse without compiling.
z.config({ jitless: true });
