import { z } from 'zod';

// Imported first by app.ts, before any module that builds a schema: zod decides at each object schema's
// construction whether to compile a fast parser, probing `new Function` to find out. The H5 page's
// Content-Security-Policy has no 'unsafe-eval' (the probe is a CSP violation) and WeChat allows no eval at
// all, so parse without compiling.
z.config({ jitless: true });
