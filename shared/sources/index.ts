import { RequestError, badRequest, unsupportedMediaType } from '../errors.js';
import type { Adapted, SourceInput, SourceName } from '../types.js';
import { decodeText, parseJson } from './body.js';
import { adaptAlertmanager } from './alertmanager.js';
import { adaptCloudMonitor } from './cloudmonitor.js';
import { ACCEPTED_TYPES, bodyKind, detectSource, forcedSource } from './detect.js';
import { adaptDirect } from './direct.js';
import { adaptEventBridge } from './eventbridge.js';
import { looksLikeJson, parseForm } from './form.js';
import { adaptGrafana } from './grafana.js';
import type { AdaptOptions } from './options.js';
import { adaptSweep, adaptTimer } from './sweep.js';

export type { AdaptOptions } from './options.js';
export { SOURCE_NAMES, detectSource } from './detect.js';

/**
 * Payload → canonical requests. The source is taken from `?source=` when given, else
 * detected from the trigger, content type and payload shape. Pure: anything unusable
 * is a RequestError (400, 413 or 415), never another exception.
 */
export function adapt(input: SourceInput, options: AdaptOptions = {}): Adapted {
  try {
    return route(input, options);
  } catch (err) {
    if (err instanceof RequestError) throw err;
    // A payload we did not foresee must still get a 4xx, not a crash; the name helps find the bug.
    throw badRequest('payload could not be read', [{ path: '/', message: `unreadable payload (${err instanceof Error ? err.name : typeof err})` }]);
  }
}

function route(input: SourceInput, options: AdaptOptions): Adapted {
  const forced = forcedSource(input.query);
  if (input.trigger === 'timer') return adaptTimer(input, options);

  const kind = input.trigger === 'http' ? bodyKind(input.contentType) : 'json';
  if (kind === undefined) throw unsupportedMediaType(input.contentType, ACCEPTED_TYPES);
  if (kind === 'form' && !looksLikeJson(input.body)) {
    if (forced !== undefined && forced !== 'cloudmonitor') {
      throw new RequestError(415, 'UnsupportedMediaType', `source ${forced} sends JSON; a form body is read only as a CloudMonitor callback`);
    }
    return adaptCloudMonitor(parseForm(input.body), input, options);
  }
  const value = kind === 'text' ? textAsJson(input) : parseJson(input.body);
  return bySource(forced ?? detectSource(value, input.trigger), value, input, options);
}

function bySource(source: SourceName, value: unknown, input: SourceInput, options: AdaptOptions): Adapted {
  switch (source) {
    case 'alertmanager':
      return adaptAlertmanager(value, input, options);
    case 'grafana':
      return adaptGrafana(value, input, options);
    case 'cloudmonitor':
      return adaptCloudMonitor(value, input, options);
    case 'eventbridge':
      return adaptEventBridge(value, input, options);
    case 'sweep':
      return adaptSweep(value, input, options);
    case 'direct':
      return adaptDirect(input, value, options.defaultRegion);
  }
}

/** text/plain is accepted only when the body is JSON (ARMS webhooks default to that header). */
function textAsJson(input: SourceInput): unknown {
  const text = decodeText(input.body);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RequestError(415, 'UnsupportedMediaType', `content type 'text/plain' is accepted only with a JSON body; send one of: ${ACCEPTED_TYPES.join(', ')}`);
  }
}

