import type { ValidateFunction } from 'ajv';
import { guardRequestSchema } from '../schemas/guard-request.js';
import { COMMAND_RE, INSTANCE_ID, INSTANCE_RE, INVOKE_ID, INVOKE_RE, REGION_ID, REGION_RE } from '../schemas/stop-request.js';
import { toDetails, validatorFor } from '../schemas/validate.js';
import { FAILED_INSTANCE } from '../statuses.js';
import type { ErrorDetail, GuardRequest, GuardWork, SkippedTarget } from '../types.js';
import { ownString } from './fields.js';

// What feeds the rollout guard: a canonical `{"action":"guard",…}` request (HTTP, or the
// `data` of a custom event), and Cloud Assistant task events. Pure.

let validate: ValidateFunction<GuardRequest> | undefined;

/** A canonical guard request, strict like the stop request; problems go to `errors` with `prefix`. */
export function checkGuardRequest(candidate: unknown, prefix: string, errors: ErrorDetail[]): GuardRequest | undefined {
  validate ??= validatorFor<GuardRequest>(guardRequestSchema);
  if (validate(candidate)) return candidate;
  errors.push(...toDetails(validate.errors, prefix));
  return undefined;
}

export interface TaskEvent {
  id: string;
  source: string;
  data: Record<string, unknown>;
}

/**
 * A Cloud Assistant task event (`ecs:CloudAssistant:TaskCompleted`, data as documented:
 * commandId, commandName, instanceId, invokeId, invocationStatus, repeatMode, exitCode,
 * errorCode, errorDesc, startTime, finishTime —
 * https://www.alibabacloud.com/help/en/ecs/user-guide/subscribe-to-cloud-assistant-events).
 * It fires when one instance's run has ended, so there is nothing left to stop there: a
 * failure feeds the guard; any other ending is recorded as skipped.
 */
export function fromTaskEvent(
  event: TaskEvent,
  regionId: string | undefined,
  prefix: string,
  dryRun: boolean | undefined,
  errors: ErrorDetail[],
): { guard?: GuardWork; skipped?: SkippedTarget } | undefined {
  const base = `${prefix}/data`;
  const invokeId = ownString(event.data, 'invokeId');
  const status = ownString(event.data, 'invocationStatus');
  const instanceId = ownString(event.data, 'instanceId');
  const commandId = ownString(event.data, 'commandId');
  const commandName = ownString(event.data, 'commandName');
  const problems: ErrorDetail[] = [];
  if (invokeId === undefined) problems.push({ path: `${base}/invokeId`, message: 'is required in a Cloud Assistant task event' });
  else if (!INVOKE_RE.test(invokeId)) problems.push({ path: `${base}/invokeId`, message: `must match pattern "${INVOKE_ID}"` });
  if (status === undefined) problems.push({ path: `${base}/invocationStatus`, message: 'is required in a Cloud Assistant task event' });
  if (regionId === undefined) problems.push({ path: `${prefix}/aliyunregionid`, message: 'is missing and data has no regionId' });
  else if (!REGION_RE.test(regionId)) problems.push({ path: `${prefix}/aliyunregionid`, message: `must match pattern "${REGION_ID}"` });
  if (problems.length > 0 || invokeId === undefined || status === undefined || regionId === undefined) {
    errors.push(...problems);
    return undefined;
  }
  const instance = instanceId !== undefined && INSTANCE_RE.test(instanceId) ? instanceId : undefined;
  // Every id that came in is in the result: one that is not an instance id is reported, and
  // the guard still counts from ECS (it never needed this id to decide).
  if (instanceId !== undefined && instance === undefined) errors.push({ path: `${base}/instanceId`, message: `must match pattern "${INSTANCE_ID}"` });
  if (!FAILED_INSTANCE.has(status)) {
    const skipped: SkippedTarget = {
      regionId,
      invokeId,
      reason: `task event ${event.id}: the run ended ${status.slice(0, 40)}; the rollout guard acts only on failures (${[...FAILED_INSTANCE].join(', ')})`,
    };
    if (instance) skipped.instanceId = instance;
    return { skipped };
  }
  const request: GuardRequest = { action: 'guard', regionId, invokeId, reason: `Cloud Assistant task event ${event.id.slice(0, 200)}: ${instance ?? 'an instance'} ended ${status}` };
  if (dryRun !== undefined) request.dryRun = dryRun;
  return {
    guard: {
      request,
      events: [{ id: event.id.slice(0, 200), source: event.source.slice(0, 200), instanceId: instance, invocationStatus: status }],
      commandId: commandId !== undefined && COMMAND_RE.test(commandId) ? commandId : undefined,
      commandName: commandName !== undefined && commandName.length <= 128 ? commandName : undefined,
    },
  };
}
