// Every JSON Schema the function validates with, in one list: scripts/gen-validators.ts
// compiles them ahead of time into shared/schemas/generated/validators.js, so start-up
// compiles nothing and the bundle carries no ajv compiler.

import { envSchema } from '../config.js';
import { guardRequestSchema } from './guard-request.js';
import { sourceSchemas } from './sources.js';
import { stopRequestSchema, sweepRequestSchema } from './stop-request.js';

export const allSchemas: ReadonlyArray<{ $id: string }> = [stopRequestSchema, sweepRequestSchema, guardRequestSchema, envSchema, ...sourceSchemas];
