import type { ValidateFunction } from 'ajv';
import { validatorFor } from '../schemas/validate.js';
import type { Adapted, SourceInput } from '../types.js';
import { adaptAlertGroup, alertGroupSchema, type AlertGroup } from './alerts.js';
import type { AdaptOptions } from './options.js';

// Prometheus Alertmanager webhook (payload version 4), and ARMS, which sends the same
// format when its webhook body is `$alertmanager_content` (ARMS adds `_aliyun_arms_*`
// labels, e.g. `_aliyun_arms_region_id`, and may leave out `version` and `groupKey`).

/** Open schema: only the fields we read are typed (the same as Grafana's). */
export const alertmanagerSchema = alertGroupSchema('source-alertmanager');

let validate: ValidateFunction<AlertGroup> | undefined;

export function adaptAlertmanager(value: unknown, input: SourceInput, options: AdaptOptions): Adapted {
  validate ??= validatorFor<AlertGroup>(alertmanagerSchema);
  return adaptAlertGroup('alertmanager', validate, value, input, options);
}
