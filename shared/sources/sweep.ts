import type { ValidateFunction } from 'ajv';
import { badRequest } from '../errors.js';
import { sweepRequestSchema } from '../schemas/stop-request.js';
import { validatorFor, toDetails } from '../schemas/validate.js';
import type { Adapted, SourceInput, SweepRequest } from '../types.js';
import { decodeText, isRecord, queryFlag } from './body.js';
import { dedupeKey, badPayload } from './canonical.js';
import { adaptDirect } from './direct.js';
import type { AdaptOptions } from './options.js';

// The watchdog sweep (ARCHITECTURE §3). An FC timer trigger delivers
// `{triggerTime, triggerName, payload}` where `payload` is the text configured on the
// trigger; the decoder hands us that text as the body. It must be JSON: a sweep
// `{"action":"sweep","regionIds":[...],"maxRunningSeconds":N}` or, for a scheduled stop,
// a canonical stop request.

export const TIMER_PAYLOAD_HELP =
  'the timer trigger payload must be JSON: {"action":"sweep","regionIds":["cn-hangzhou"],"maxRunningSeconds":3600} ' +
  '(optional commandId, commandName, cancelSchedulesOlderThanSeconds, dryRun) or a stop request {"regionId":…,"invokeId":…}';

let validate: ValidateFunction<SweepRequest> | undefined;

/** A sweep request (timer payload, event invocation or `?source=sweep`); `regionIds` defaults to the function's region. */
export function adaptSweep(value: unknown, input: SourceInput, options: AdaptOptions, prefix = '', key?: string): Adapted {
  validate ??= validatorFor<SweepRequest>(sweepRequestSchema);
  let candidate = value;
  if (isRecord(value)) {
    const filled: Record<string, unknown> = { ...value };
    if (filled.regionIds === undefined && options.defaultRegion) filled.regionIds = [options.defaultRegion];
    const dry = queryFlag(input.query.dryRun);
    if (dry !== undefined && filled.dryRun === undefined) filled.dryRun = dry;
    candidate = filled;
  }
  if (validate(candidate)) return { source: 'sweep', requests: [], skipped: [], sweep: candidate, dedupeKey: key };
  const details = toDetails(validate.errors, prefix);
  // A payload that is not even trying to be a sweep gets the whole recipe, not only field errors.
  const trying = isRecord(value) && value.action === 'sweep';
  throw badPayload(prefix ? 'timer payload is invalid' : 'sweep request is invalid', trying ? details : [...details, { path: prefix || '/', message: TIMER_PAYLOAD_HELP }]);
}

/** Timer invocation: the body is the trigger's payload text; FC retrying the same run repeats its name and time. */
export function adaptTimer(input: SourceInput, options: AdaptOptions): Adapted {
  const value = parsePayload(decodeText(input.body));
  const key = input.timer ? dedupeKey('timer', `${input.timer.triggerName}@${input.timer.triggerTime}`) : undefined;
  if (isRecord(value) && value.action === undefined && (value.invokeId !== undefined || value.instanceIds !== undefined)) {
    return { ...adaptDirect(input, value, options.defaultRegion), dedupeKey: key };
  }
  return adaptSweep(value, input, options, '/payload', key);
}

function parsePayload(text: string): unknown {
  if (text.trim() === '') throw badRequest('timer payload is empty', [{ path: '/payload', message: TIMER_PAYLOAD_HELP }]);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('timer payload is not JSON', [{ path: '/payload', message: TIMER_PAYLOAD_HELP }]);
  }
}
