import { envSchema } from '../shared/config.js';
import { guardRequestSchema } from '../shared/schemas/guard-request.js';
import { stopRequestSchema, sweepRequestSchema } from '../shared/schemas/stop-request.js';
import { alertmanagerSchema } from '../shared/sources/alertmanager.js';
import { cloudMonitorSchema } from '../shared/sources/cloudmonitor.js';
import { cloudEventSchema } from '../shared/sources/eventbridge.js';
import { grafanaSchema } from '../shared/sources/grafana.js';

// Every JSON Schema the function validates with, in one list: scripts/gen-validators.ts
// compiles them ahead of time into shared/schemas/generated/validators.js, so start-up
// compiles nothing and the bundle carries no ajv compiler. It lives here, at build time,
// because it gathers schemas from every layer (config, requests, sources): kept inside
// shared/ it would make those layers import each other (docs/ARCHITECTURE.md "Layers").

/** The source adapters' payload schemas: open (senders add fields), only what we read is typed. */
export const sourceSchemas = [alertmanagerSchema, grafanaSchema, cloudMonitorSchema, cloudEventSchema] as const;

export const allSchemas: ReadonlyArray<{ $id: string }> = [stopRequestSchema, sweepRequestSchema, guardRequestSchema, envSchema, ...sourceSchemas];
