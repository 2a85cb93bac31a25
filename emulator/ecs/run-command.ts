import { ApiError, invalidParameter, missingParameter } from '../errors.js';
import type { RpcAction } from '../rpc-server.js';
import { commandId as newCommandId } from '../util/ids.js';
import type { RepeatMode } from '../types.js';
import { repeatList, required } from './params.js';
import { checkRegion } from './regions.js';

// RunCommand (a new command + invocation) and InvokeCommand (an existing command). Every
// target instance starts Running and stays so until stopped: nothing completes on its own.

const MAX_INSTANCES = 100;
const COMMAND_TYPES = ['RunShellScript', 'RunBatScript', 'RunPowerShellScript'];
const REPEAT_MODES: readonly RepeatMode[] = ['Once', 'Period', 'NextRebootOnly', 'EveryReboot'];

function targets(params: Record<string, string>): string[] {
  const ids = repeatList(params, 'InstanceId');
  if (ids.length === 0) throw missingParameter('InstanceId');
  if (ids.length > MAX_INSTANCES) {
    throw new ApiError(403, 'InstanceIds.ExceedLimit', `The number of specified instances exceeds the upper limit of ${MAX_INSTANCES}.`);
  }
  for (const id of ids) {
    if (!/^i-[a-z0-9]+$/i.test(id)) throw new ApiError(404, 'InvalidInstance.NotFound', `The specified instance "${id}" does not exist.`);
  }
  return [...new Set(ids)];
}

/** `Tag.N.Key` / `Tag.N.Value` (N 1–20): the invocation's tags. */
function tags(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const m = /^Tag\.(\d+)\.Key$/.exec(key);
    if (!m) continue;
    const n = Number(m[1]);
    if (n < 1 || n > 20 || value === '') throw invalidParameter(key);
    out[value] = params[`Tag.${n}.Value`] ?? '';
  }
  return out;
}

function repeat(params: Record<string, string>): { repeatMode: RepeatMode; frequency: string } {
  const mode = (params['RepeatMode'] || 'Once') as RepeatMode;
  if (!REPEAT_MODES.includes(mode)) throw invalidParameter('RepeatMode');
  const frequency = params['Frequency'] ?? '';
  if (mode === 'Period' && !frequency) throw missingParameter('Frequency');
  return { repeatMode: mode, frequency };
}

export const runCommand: RpcAction = ({ params, ctx, now }) => {
  const regionId = checkRegion(params, ctx.config);
  const type = required(params, 'Type');
  if (!COMMAND_TYPES.includes(type)) throw new ApiError(400, 'InvalidCommandType.NotFound', `The command type "${type}" does not exist.`);
  const content = required(params, 'CommandContent');
  const instanceIds = targets(params);
  const base64 = params['ContentEncoding']?.toLowerCase() === 'base64' ? content : Buffer.from(content).toString('base64');
  const command = ctx.store.registerCommand({
    commandId: newCommandId(),
    name: params['Name'] || `command-${now}`,
    type,
    content: base64,
    regionId,
  });
  const inv = ctx.store.create(
    {
      regionId,
      commandId: command.commandId,
      commandName: command.name,
      commandType: type,
      commandContent: base64,
      instanceIds,
      tags: tags(params),
      ...repeat(params),
    },
    now,
  );
  return { CommandId: command.commandId, InvokeId: inv.invokeId };
};

export const invokeCommand: RpcAction = ({ params, ctx, now }) => {
  const regionId = checkRegion(params, ctx.config);
  const id = required(params, 'CommandId');
  const command = ctx.store.command(id);
  if (!command || command.regionId !== regionId) {
    throw new ApiError(404, 'InvalidCommandId.NotFound', `The specified command "${id}" does not exist.`);
  }
  const inv = ctx.store.create(
    {
      regionId,
      commandId: command.commandId,
      commandName: command.name,
      commandType: command.type,
      commandContent: command.content,
      instanceIds: targets(params),
      tags: tags(params),
      ...repeat(params),
    },
    now,
  );
  return { InvokeId: inv.invokeId, CommandId: command.commandId };
};
