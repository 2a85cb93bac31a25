import { ApiError } from './errors.js';
import { deriveInvocationStatus, legacyInvokeStatus } from './ecs/status.js';
import * as ids from './util/ids.js';
import { isoSeconds, parseTime } from './util/time.js';
import type { FinishInstance, InstanceState, InstanceStatus, InvocationState, RepeatMode, SeedInvocation } from './types.js';

// The Cloud Assistant state: invocations, their per-instance executions and the commands
// they ran. Readers get deep copies, so nothing outside can change the state behind the
// API's back. Time only moves when someone looks: an instance that is `Stopping` becomes
// `Stopped` at the first read after its stop latency (no timers to clean up).

interface StoredInstance extends InstanceState {
  /** Epoch ms when a `Stopping` instance becomes `Stopped`. */
  stopsAt?: number;
}

interface StoredInvocation extends Omit<InvocationState, 'invocationStatus' | 'invokeStatus' | 'instances'> {
  /** Insertion order: breaks creation-time ties so listings are stable. */
  seq: number;
  instances: StoredInstance[];
}

/**
 * What a listing may pick invocations by before they are settled and copied: what they are,
 * never their statuses (a `Stopping` instance's may be out of date until it is read).
 */
export type InvocationIdentity = Pick<InvocationState, 'regionId' | 'invokeId' | 'commandId' | 'commandName' | 'commandType' | 'repeatMode' | 'timed'> & {
  instances: ReadonlyArray<Pick<InstanceState, 'instanceId'>>;
};

export interface CommandRecord {
  commandId: string;
  name: string;
  type: string;
  content: string;
  regionId: string;
}

export interface NewInvocation {
  regionId: string;
  commandId: string;
  commandName: string;
  commandType: string;
  commandContent: string;
  repeatMode: RepeatMode;
  frequency: string;
  instanceIds: string[];
  /** RunCommand/InvokeCommand `Tag.N`. */
  tags?: Record<string, string>;
}

const DEFAULT_REGION = 'cn-hangzhou';
const SEEDABLE: ReadonlySet<string> = new Set([
  'Pending', 'Scheduled', 'Running', 'Stopped', 'Finished', 'Success', 'Failed',
  'Cancelled', 'Error', 'Timeout', 'Invalid', 'Aborted', 'Terminated',
]);
/** Seeded states whose execution began (so they have a StartTime). */
const STARTED: ReadonlySet<InstanceStatus> = new Set([
  'Running', 'Stopped', 'Finished', 'Success', 'Failed', 'Error', 'Timeout', 'Aborted', 'Terminated',
]);
const FINISHED: ReadonlySet<InstanceStatus> = new Set(['Finished', 'Success', 'Failed', 'Error', 'Timeout', 'Aborted']);
const HALTED: ReadonlySet<InstanceStatus> = new Set(['Stopped', 'Cancelled', 'Terminated']);

export class InvocationStore {
  private readonly invocations = new Map<string, StoredInvocation>();
  private readonly commands = new Map<string, CommandRecord>();
  /** Instance tags (an instance exists beyond any one invocation): id → tags. */
  private readonly tags = new Map<string, Record<string, string>>();
  private seq = 0;

  clear(): void {
    this.invocations.clear();
    this.commands.clear();
    this.tags.clear();
  }

  /** The tags seeded for an instance (none unless seeded). */
  tagsOf(instanceId: string): Record<string, string> {
    return { ...(this.tags.get(instanceId) ?? {}) };
  }

  seed(spec: SeedInvocation, now = Date.now()): InvocationState {
    if (!spec || !Array.isArray(spec.instances) || spec.instances.length === 0) {
      throw new Error('a seeded invocation needs at least one instance');
    }
    const invokeId = spec.invokeId ?? ids.invokeId();
    if (this.invocations.has(invokeId)) throw new Error(`invocation ${invokeId} already exists`);
    const creationTime = spec.creationTime ?? isoSeconds(now);
    if (parseTime(creationTime) === undefined) throw new Error(`creationTime "${creationTime}" is not a timestamp`);
    const regionId = spec.regionId ?? DEFAULT_REGION;
    const command = this.registerCommand({
      commandId: spec.commandId ?? ids.commandId(),
      name: spec.commandName ?? 'demo.sh',
      type: spec.commandType ?? 'RunShellScript',
      content: 'ZWNobyBoZWxsbw==',
      regionId,
    });
    const seen = new Set<string>();
    const instances = spec.instances.map((i): StoredInstance => {
      if (!i?.instanceId) throw new Error('every seeded instance needs an instanceId');
      if (seen.has(i.instanceId)) throw new Error(`instance ${i.instanceId} appears twice`);
      seen.add(i.instanceId);
      if (i.tags !== undefined) this.tags.set(i.instanceId, { ...i.tags });
      const status = (i.status ?? 'Running') as InstanceStatus;
      if (!SEEDABLE.has(status)) throw new Error(`instance status "${status}" cannot be seeded`);
      const started = STARTED.has(status);
      return {
        instanceId: i.instanceId,
        status,
        creationTime,
        updateTime: creationTime,
        startTime: started ? (i.startTime ?? creationTime) : i.startTime,
        finishTime: FINISHED.has(status) ? isoSeconds(now) : undefined,
        stopTime: HALTED.has(status) ? isoSeconds(now) : undefined,
        exitCode: status === 'Success' || status === 'Finished' ? 0 : status === 'Failed' ? 1 : undefined,
        repeats: started ? 1 : 0,
        ignoresStop: i.ignoresStop ?? false,
      };
    });
    const repeatMode = spec.repeatMode ?? 'Once';
    this.invocations.set(invokeId, {
      invokeId,
      regionId,
      commandId: command.commandId,
      commandName: command.name,
      commandType: command.type,
      commandContent: command.content,
      repeatMode,
      frequency: repeatMode === 'Period' ? '0 */5 * * * ?' : '',
      timed: repeatMode === 'Period',
      creationTime,
      stopRequested: false,
      tags: { ...(spec.tags ?? {}) },
      seq: this.seq++,
      instances,
    });
    return this.get(invokeId, now)!;
  }

  /** A RunCommand/InvokeCommand invocation: every instance starts Running now. */
  create(spec: NewInvocation, now = Date.now()): InvocationState {
    const invokeId = ids.invokeId();
    const at = isoSeconds(now);
    this.invocations.set(invokeId, {
      invokeId,
      regionId: spec.regionId,
      commandId: spec.commandId,
      commandName: spec.commandName,
      commandType: spec.commandType,
      commandContent: spec.commandContent,
      repeatMode: spec.repeatMode,
      frequency: spec.frequency,
      timed: spec.repeatMode === 'Period',
      creationTime: at,
      stopRequested: false,
      tags: { ...(spec.tags ?? {}) },
      seq: this.seq++,
      instances: spec.instanceIds.map((instanceId) => ({
        instanceId,
        status: 'Running',
        creationTime: at,
        updateTime: at,
        startTime: at,
        repeats: 1,
        ignoresStop: false,
      })),
    });
    return this.get(invokeId, now)!;
  }

  registerCommand(command: CommandRecord): CommandRecord {
    this.commands.set(command.commandId, command);
    return command;
  }

  command(commandId: string): CommandRecord | undefined {
    return this.commands.get(commandId);
  }

  get(invokeId: string, now = Date.now()): InvocationState | undefined {
    const inv = this.invocations.get(invokeId);
    return inv ? snapshot(settle(inv, now)) : undefined;
  }

  /**
   * Newest first, as DescribeInvocations lists them. `where` picks first, so a call copies
   * only what it answers with, not every invocation a long test has seeded.
   */
  list(now = Date.now(), where?: (inv: InvocationIdentity) => boolean): InvocationState[] {
    return [...this.invocations.values()]
      .filter((inv) => !where || where(inv))
      .sort((a, b) => (parseTime(b.creationTime) ?? 0) - (parseTime(a.creationTime) ?? 0) || b.seq - a.seq)
      .map((inv) => snapshot(settle(inv, now)));
  }

  /** A sort key that increases along `list()` (newest first, then latest seeded first). */
  orderKey(invokeId: string): number[] {
    const inv = this.invocations.get(invokeId);
    return inv ? [-(parseTime(inv.creationTime) ?? 0), -inv.seq] : [];
  }

  /**
   * StopInvocation semantics. All ids are checked before anything changes. Per instance:
   * Running → Stopped (or Stopping for `stopLatencyMs` first; unchanged when it ignores
   * stops), Pending/Scheduled → Cancelled, anything else unchanged (so a repeat is a
   * harmless success).
   */
  stop(regionId: string, invokeId: string, instanceIds: string[], stopLatencyMs: number, now = Date.now()): void {
    const inv = this.invocations.get(invokeId);
    if (!inv || inv.regionId !== regionId) {
      throw new ApiError(404, 'InvalidInvokeId.NotFound', 'The specified InvokeId does not exist.');
    }
    settle(inv, now);
    const targets = instanceIds.length ? instanceIds : inv.instances.map((i) => i.instanceId);
    const byId = new Map(inv.instances.map((i) => [i.instanceId, i]));
    for (const id of targets) {
      if (!byId.has(id)) throw new ApiError(404, 'InvalidInstanceId.NotFound', 'The specified instance does not exist.');
    }
    const at = isoSeconds(now);
    for (const id of new Set(targets)) {
      const instance = byId.get(id)!;
      if (instance.status === 'Running') {
        if (instance.ignoresStop) continue;
        if (stopLatencyMs > 0) {
          instance.status = 'Stopping';
          instance.stopsAt = now + stopLatencyMs;
        } else {
          instance.status = 'Stopped';
          instance.stopTime = at;
        }
        instance.updateTime = at;
      } else if (instance.status === 'Pending' || instance.status === 'Scheduled') {
        instance.status = 'Cancelled';
        instance.stopTime = at;
        instance.updateTime = at;
      }
    }
    if (targets.length >= inv.instances.length && new Set(targets).size === inv.instances.length) {
      inv.stopRequested = true;
    }
  }

  /**
   * One instance's run ends (what a test needs to make instances fail one by one). Only a
   * run that has not ended can end; the invocation status follows from the instances.
   */
  finish(invokeId: string, instanceId: string, end: FinishInstance, now = Date.now()): InvocationState {
    const inv = this.invocations.get(invokeId);
    if (!inv) throw new Error(`no invocation ${invokeId}`);
    settle(inv, now);
    const instance = inv.instances.find((i) => i.instanceId === instanceId);
    if (!instance) throw new Error(`instance ${instanceId} is not part of ${invokeId}`);
    if (!FINISHABLE.has(instance.status)) throw new Error(`instance ${instanceId} is ${instance.status}: its run has already ended`);
    if (!ENDINGS.has(end.status)) throw new Error(`"${String(end.status)}" is not how a run ends`);
    const at = isoSeconds(now);
    if (instance.status !== 'Running') {
      instance.startTime ??= at;
      instance.repeats += 1;
    }
    instance.status = end.status;
    instance.updateTime = at;
    if (HALTED.has(end.status)) instance.stopTime = at;
    else instance.finishTime = at;
    instance.exitCode = end.exitCode ?? (end.status === 'Success' ? 0 : end.status === 'Failed' ? 1 : undefined);
    instance.errorCode = end.errorCode;
    instance.errorInfo = end.errorInfo;
    return this.get(invokeId, now)!;
  }
}

const FINISHABLE: ReadonlySet<InstanceStatus> = new Set(['Pending', 'Scheduled', 'Running']);
const ENDINGS: ReadonlySet<string> = new Set(['Success', 'Failed', 'Error', 'Timeout', 'Invalid', 'Aborted', 'Cancelled', 'Terminated']);

function settle(inv: StoredInvocation, now: number): StoredInvocation {
  for (const instance of inv.instances) {
    if (instance.status === 'Stopping' && instance.stopsAt !== undefined && now >= instance.stopsAt) {
      instance.status = 'Stopped';
      instance.stopTime = isoSeconds(instance.stopsAt);
      instance.updateTime = instance.stopTime;
      delete instance.stopsAt;
    }
  }
  return inv;
}

function snapshot(inv: StoredInvocation): InvocationState {
  const { seq: _seq, instances, ...rest } = inv;
  const copies = instances.map(({ stopsAt: _stopsAt, ...i }) => ({ ...i }));
  const invocationStatus = deriveInvocationStatus(
    copies.map((i) => i.status),
    inv.repeatMode,
    inv.stopRequested,
  );
  return { ...rest, invocationStatus, invokeStatus: legacyInvokeStatus(invocationStatus), instances: copies };
}
