import type { ValidateFunction } from 'ajv';
import { validatorFor } from '../schemas/validate.js';
import type { Adapted, SourceInput } from '../types.js';
import { adaptAlertGroup, alertItemSchema, type AlertGroup } from './alerts.js';
import { MAX_ALERTS } from './canonical.js';
import type { AdaptOptions } from './options.js';

// Prometheus Alertmanager webhook (payload version 4), and ARMS, which sends the same
// format when its webhook body is `$alertmanager_content` (ARMS adds `_aliyun_arms_*`
// labels, e.g. `_aliyun_arms_region_id`, and may leave out `version` and `groupKey`).

/** Open schema: only the fields we read are typed. */
export const alertmanagerSchema = {
  $id: 'source-alertmanager',
  type: 'object',
  required: ['alerts'],
  properties: {
    groupKey: { type: 'string' },
    alerts: { type: 'array', maxItems: MAX_ALERTS, items: alertItemSchema },
  },
} as const;

let validate: ValidateFunction<AlertGroup> | undefined;

export function adaptAlertmanager(value: unknown, input: SourceInput, options: AdaptOptions): Adapted {
  validate ??= validatorFor<AlertGroup>(alertmanagerSchema);
  return adaptAlertGroup('alertmanager', validate, value, input, options);
}
