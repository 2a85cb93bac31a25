// Canonical stop request schema (ARCHITECTURE §3). Plain JSON Schema objects so they can
// be precompiled to standalone validators for the bundle.

export const REGION_ID = '^[a-z]{2,}(-[a-z0-9]+){1,4}$';
export const INSTANCE_ID = '^i-[a-z0-9]{1,64}$';
export const INVOKE_ID = '^t-[a-zA-Z0-9]{1,64}$';
export const COMMAND_ID = '^c-[a-zA-Z0-9]{1,64}$';

/** The same patterns compiled once, for the checks made outside a schema. */
export const REGION_RE = new RegExp(REGION_ID);
export const INSTANCE_RE = new RegExp(INSTANCE_ID);
export const INVOKE_RE = new RegExp(INVOKE_ID);
export const COMMAND_RE = new RegExp(COMMAND_ID);
/** Hard ceiling independent of MAX_INSTANCES so no payload can make us allocate without bound. */
export const INSTANCE_HARD_LIMIT = 10000;

export const stopRequestSchema = {
  $id: 'stop-request',
  type: 'object',
  additionalProperties: false,
  required: ['regionId'],
  properties: {
    regionId: { type: 'string', pattern: REGION_ID },
    invokeId: { type: 'string', pattern: INVOKE_ID },
    instanceIds: {
      type: 'array',
      minItems: 1,
      maxItems: INSTANCE_HARD_LIMIT,
      uniqueItems: true,
      items: { type: 'string', pattern: INSTANCE_ID },
    },
    commandId: { type: 'string', pattern: COMMAND_ID },
    commandName: { type: 'string', minLength: 1, maxLength: 128 },
    dryRun: { type: 'boolean' },
    reason: { type: 'string', maxLength: 1024 },
  },
  anyOf: [{ required: ['invokeId'] }, { required: ['instanceIds'] }],
} as const;

/**
 * A request that names its `action` (sweep, guard): as strict as the stop request, unknown
 * fields refused. `action` is always required and must be exactly the one given.
 */
export function actionRequestSchema<const A extends string, const R extends readonly string[], const P extends Record<string, object>>($id: string, action: A, required: R, properties: P) {
  return { $id, type: 'object', additionalProperties: false, required: ['action', ...required], properties: { action: { const: action }, ...properties } } as const;
}

export const sweepRequestSchema = actionRequestSchema('sweep-request', 'sweep', ['regionIds', 'maxRunningSeconds'], {
  regionIds: { type: 'array', minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string', pattern: REGION_ID } },
  maxRunningSeconds: { type: 'integer', minimum: 60, maximum: 31536000 },
  commandId: { type: 'string', pattern: COMMAND_ID },
  commandName: { type: 'string', minLength: 1, maxLength: 128 },
  cancelSchedulesOlderThanSeconds: { type: 'integer', minimum: 60, maximum: 31536000 },
  dryRun: { type: 'boolean' },
});
