import type { ValidateFunction } from 'ajv';
import { check, validatorFor } from '../schemas/validate.js';
import { stopRequestSchema } from '../schemas/stop-request.js';
import type { Adapted, ErrorDetail, SourceInput, StopRequest } from '../types.js';
import { badRequest } from '../errors.js';
import { isRecord, parseJson, queryFlag } from './body.js';
import { checkGuardRequest } from './guard.js';

let validate: ValidateFunction<StopRequest> | undefined;

/**
 * The canonical request itself (ARCHITECTURE §3). Strict: unknown fields are refused so a
 * typo such as `instanceID` never silently widens or narrows a stop.
 */
export function adaptDirect(input: SourceInput, value: unknown = parseJson(input.body), defaultRegion?: string): Adapted {
  const candidate: unknown = isRecord(value) ? withDefaults(value, input, defaultRegion) : value;
  // Idempotency-Key or the signed message id, as the pipeline chose it from what the credential covers.
  const idempotencyKey = input.deliveryId;
  const key = idempotencyKey ? `direct:${idempotencyKey.slice(0, 200)}` : undefined;
  if (isRecord(value) && value.action === 'guard') {
    // The rollout guard asked for by an operator or a custom source (README "Rollout guard").
    const errors: ErrorDetail[] = [];
    const request = checkGuardRequest(candidate, '', errors);
    if (!request) throw badRequest('guard request is invalid', errors);
    return { source: 'direct', requests: [], skipped: [], guards: [{ request, events: [] }], dedupeKey: key };
  }
  validate ??= validatorFor<StopRequest>(stopRequestSchema);
  const request = check(validate, candidate, 'stop request');
  return { source: 'direct', requests: [request], skipped: [], dedupeKey: key };
}

function withDefaults(body: Record<string, unknown>, input: SourceInput, defaultRegion?: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  const region = input.query.regionId ?? defaultRegion;
  if (out.regionId === undefined && region) out.regionId = region;
  const dry = queryFlag(input.query.dryRun);
  if (dry !== undefined && out.dryRun === undefined) out.dryRun = dry;
  return out;
}
