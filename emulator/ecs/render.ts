import type { InstanceState, InvocationState } from '../types.js';
import { legacyInstanceStatus } from './status.js';

// State → the JSON shapes of the ECS SDK's response models (DescribeInvocationsResponseBody,
// DescribeInvocationResultsResponseBody). Field names match the models exactly; numbers
// and booleans keep their model types, or the SDK's cast rejects them.

export type ContentEncoding = 'Base64' | 'PlainText';

export function contentEncoding(params: Record<string, string>): ContentEncoding {
  return params['ContentEncoding']?.toLowerCase() === 'plaintext' ? 'PlainText' : 'Base64';
}

function encodeText(base64: string, encoding: ContentEncoding): string {
  return encoding === 'PlainText' ? Buffer.from(base64, 'base64').toString('utf8') : base64;
}

function output(inv: InvocationState, instance: InstanceState): string {
  if (instance.status === 'Pending' || instance.status === 'Scheduled' || instance.status === 'Cancelled') return '';
  return Buffer.from(`[emulator] ${inv.commandName} on ${instance.instanceId}: ${instance.status}\n`).toString('base64');
}

export function renderInvocation(inv: InvocationState, encoding: ContentEncoding, includeOutput: boolean) {
  return {
    InvokeId: inv.invokeId,
    CommandId: inv.commandId,
    CommandName: inv.commandName,
    CommandType: inv.commandType,
    CommandContent: encodeText(inv.commandContent, encoding),
    CommandDescription: '',
    InvocationStatus: inv.invocationStatus,
    InvokeStatus: inv.invokeStatus,
    RepeatMode: inv.repeatMode,
    Frequency: inv.frequency,
    Timed: inv.timed,
    CreationTime: inv.creationTime,
    Timeout: 60,
    Username: 'root',
    WorkingDir: '',
    Parameters: '{}',
    TerminationMode: 'Process',
    InvokeInstances: {
      InvokeInstance: inv.instances.map((i) => ({
        InstanceId: i.instanceId,
        InvocationStatus: i.status,
        InstanceInvokeStatus: legacyInstanceStatus(i.status),
        CreationTime: i.creationTime,
        UpdateTime: i.updateTime,
        StartTime: i.startTime,
        StopTime: i.stopTime,
        FinishTime: i.finishTime,
        Repeats: i.repeats,
        ExitCode: i.exitCode,
        Dropped: 0,
        ErrorCode: i.errorCode ?? '',
        ErrorInfo: i.errorInfo ?? '',
        Timed: inv.timed,
        Output: includeOutput ? encodeText(output(inv, i), encoding) : undefined,
      })),
    },
    Tags: { Tag: Object.entries(inv.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue })) },
  };
}

export function renderResult(inv: InvocationState, instance: InstanceState, encoding: ContentEncoding) {
  return {
    InvokeId: inv.invokeId,
    CommandId: inv.commandId,
    InstanceId: instance.instanceId,
    InvocationStatus: instance.status,
    InvokeRecordStatus: legacyInstanceStatus(instance.status),
    ExitCode: instance.exitCode,
    Output: encodeText(output(inv, instance), encoding),
    StartTime: instance.startTime,
    StopTime: instance.stopTime,
    FinishedTime: instance.finishTime,
    Repeats: instance.repeats,
    Dropped: 0,
    ErrorCode: '',
    ErrorInfo: '',
    Username: 'root',
    TerminationMode: 'Process',
    Tags: { Tag: [] as unknown[] },
  };
}
