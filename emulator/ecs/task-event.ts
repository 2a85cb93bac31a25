import { randomUUID } from 'node:crypto';
import type { InvocationState, TaskEvent } from '../types.js';
import { isoSeconds } from '../util/time.js';

// The Cloud Assistant task status event (`ecs:CloudAssistant:TaskCompleted`) that ECS
// publishes on the default EventBridge bus when a run ends on one instance. Shape and
// field types (every data value a string) from the documented sample:
// https://www.alibabacloud.com/help/en/ecs/user-guide/subscribe-to-cloud-assistant-events
// Only these endings fire an event: Aborted, Success, Failed, Invalid, Timeout, Cancelled,
// Terminated.

const EVENT_STATES: ReadonlySet<string> = new Set(['Aborted', 'Success', 'Failed', 'Invalid', 'Timeout', 'Cancelled', 'Terminated']);

export function taskEvent(inv: InvocationState, instanceId: string, accountId: string, now = Date.now()): TaskEvent | undefined {
  const instance = inv.instances.find((i) => i.instanceId === instanceId);
  if (!instance || !EVENT_STATES.has(instance.status)) return undefined;
  const at = isoSeconds(now);
  return {
    id: randomUUID(),
    source: 'acs.ecs',
    specversion: '1.0',
    subject: `acs.ecs:${inv.regionId}:${accountId}:${inv.invokeId}`,
    time: at,
    type: 'ecs:CloudAssistant:TaskCompleted',
    aliyunaccountid: accountId,
    aliyunpublishtime: at,
    aliyuneventbusname: 'default',
    aliyunregionid: inv.regionId,
    aliyunpublishaddr: '127.0.0.1',
    data: {
      commandId: inv.commandId,
      commandName: inv.commandName,
      exitCode: instance.exitCode === undefined ? '' : String(instance.exitCode),
      finishTime: instance.finishTime ?? instance.stopTime ?? at,
      instanceId,
      invocationStatus: instance.status,
      invokeId: inv.invokeId,
      ownerId: accountId,
      repeatMode: inv.repeatMode,
      repeats: String(instance.repeats),
      startTime: instance.startTime ?? at,
      errorCode: instance.errorCode ?? (instance.status === 'Success' ? '0' : ''),
      errorDesc: instance.errorInfo ?? '',
    },
  };
}
