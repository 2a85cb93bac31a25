import type { ValidateFunction } from 'ajv';
import { validatorFor } from '../schemas/validate.js';
import type { Adapted, SourceInput } from '../types.js';
import { adaptAlertGroup, alertGroupSchema, type AlertGroup } from './alerts.js';
import { isRecord } from './body.js';
import { MAX_ALERTS } from './canonical.js';
import type { AdaptOptions } from './options.js';

// Grafana unified alerting webhook contact point. Same alert shape as Alertmanager plus
// Grafana's own fields: top-level `orgId`, `title`, `state`, `message`; per alert `values`
// (older versions `valueString`), `silenceURL`, `dashboardURL`, `panelURL`.

/** Open schema: only the fields we read are typed (the same as Alertmanager's). */
export const grafanaSchema = alertGroupSchema('source-grafana');

const ALERT_MARKERS = ['values', 'valueString', 'silenceURL', 'dashboardURL', 'panelURL'];

/** Whether an `alerts` payload carries Grafana's markers (Alertmanager and ARMS have none of them). */
export function looksLikeGrafana(value: Record<string, unknown>): boolean {
  if (Object.hasOwn(value, 'orgId')) return true;
  if (Object.hasOwn(value, 'title') && Object.hasOwn(value, 'state')) return true;
  const alerts = Array.isArray(value.alerts) ? value.alerts.slice(0, MAX_ALERTS) : [];
  return alerts.some((a) => isRecord(a) && ALERT_MARKERS.some((m) => Object.hasOwn(a, m)));
}

let validate: ValidateFunction<AlertGroup> | undefined;

export function adaptGrafana(value: unknown, input: SourceInput, options: AdaptOptions): Adapted {
  validate ??= validatorFor<AlertGroup>(grafanaSchema);
  return adaptAlertGroup('grafana', validate, value, input, options);
}
