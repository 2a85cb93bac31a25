// The payload schemas of the source adapters, in one list (e.g. for precompiling
// standalone validators). Each schema lives beside its adapter in shared/sources/;
// alert and event schemas are open (senders add fields), only what we read is typed.

export { alertItemSchema } from '../sources/alerts.js';
export { alertmanagerSchema } from '../sources/alertmanager.js';
export { cloudMonitorSchema } from '../sources/cloudmonitor.js';
export { cloudEventSchema } from '../sources/eventbridge.js';
export { grafanaSchema } from '../sources/grafana.js';

import { alertmanagerSchema } from '../sources/alertmanager.js';
import { cloudMonitorSchema } from '../sources/cloudmonitor.js';
import { cloudEventSchema } from '../sources/eventbridge.js';
import { grafanaSchema } from '../sources/grafana.js';

export const sourceSchemas = [alertmanagerSchema, grafanaSchema, cloudMonitorSchema, cloudEventSchema] as const;
