import type { Config } from './config.js';
import { RequestError } from './errors.js';
import type { Adapted, StopRequest, TargetResult } from './types.js';

// Rules that hold whatever the source: no more instance ids per request than MAX_INSTANCES
// (a refusal of the whole request), and only allowed regions — per target, like an unusable
// alert: the allowed stops go ahead, the others are `failed RegionNotAllowed`. Only a
// payload whose every target is outside ALLOWED_REGIONS is refused whole (403). Checked
// before any ECS call.

export function checkPolicy(adapted: Adapted, config: Config): Adapted {
  const total = adapted.requests.reduce((n, r) => n + (r.instanceIds?.length ?? 0), 0);
  if (total > config.maxInstances) {
    throw new RequestError(400, 'TooManyInstances', `${total} instance ids in one request; the limit is MAX_INSTANCES=${config.maxInstances}`, [
      { path: '/instanceIds', message: `must have at most ${config.maxInstances} items` },
    ]);
  }
  const allowed = config.allowedRegions;
  if (!allowed) return adapted;
  const notAllowed = (region: string) => !allowed.includes(region);
  const message = (regions: string[]) => `region ${[...new Set(regions)].join(', ')} is not in ALLOWED_REGIONS (${allowed.join(', ')})`;

  // A sweep is the operator's own timer configuration: a region outside the list is a mistake to fix.
  const sweepDenied = (adapted.sweep?.regionIds ?? []).filter(notAllowed);
  if (sweepDenied.length > 0) {
    throw new RequestError(403, 'RegionNotAllowed', message(sweepDenied), [{ path: '/regionIds', message: 'names a region that is not allowed' }]);
  }

  const denied = adapted.requests.filter((r) => notAllowed(r.regionId));
  // Rollout guard evaluations are targets too: one in another region is its own failed target.
  const guards = adapted.guards ?? [];
  const guardsDenied = guards.filter((g) => notAllowed(g.request.regionId));
  if (guardsDenied.length > 0 && denied.length === adapted.requests.length && guardsDenied.length === guards.length) {
    throw new RequestError(403, 'RegionNotAllowed', message([...denied.map((r) => r.regionId), ...guardsDenied.map((g) => g.request.regionId)]), [
      ...adapted.requests.map((_, i) => ({ path: adapted.requests.length > 1 ? `/requests/${i}/regionId` : '/regionId', message: 'is not an allowed region' })).slice(0, 50),
      { path: '/regionId', message: 'is not an allowed region' },
    ]);
  }
  if (guardsDenied.length > 0) {
    const error = (regionId: string) => ({ code: 'RegionNotAllowed', message: message([regionId]), retryable: false, statusCode: 403 });
    adapted = {
      ...adapted,
      guards: guards.filter((g) => !notAllowed(g.request.regionId)),
      denied: [...(adapted.denied ?? []), ...guardsDenied.map((g): TargetResult => ({ regionId: g.request.regionId, invokeId: g.request.invokeId, status: 'failed', error: error(g.request.regionId) }))],
    };
  }
  if (denied.length === 0) return adapted;
  if (denied.length === adapted.requests.length && guards.length === 0) {
    throw new RequestError(
      403,
      'RegionNotAllowed',
      message(denied.map((r) => r.regionId)),
      adapted.requests.map((_, i) => ({ path: adapted.requests.length > 1 ? `/requests/${i}/regionId` : '/regionId', message: 'is not an allowed region' })).slice(0, 50),
    );
  }
  return {
    ...adapted,
    requests: adapted.requests.filter((r) => !notAllowed(r.regionId)),
    denied: [...(adapted.denied ?? []), ...denied.flatMap((r) => deniedTargets(r, message([r.regionId])))],
  };
}

/** Every instance id the request named is reported, so the result still accounts for it. */
function deniedTargets(r: StopRequest, message: string): TargetResult[] {
  const error = { code: 'RegionNotAllowed', message, retryable: false, statusCode: 403 };
  const base = { regionId: r.regionId, ...(r.invokeId ? { invokeId: r.invokeId } : {}), status: 'failed' as const };
  if (!r.instanceIds || r.instanceIds.length === 0) return [{ ...base, error }];
  return r.instanceIds.map((instanceId) => ({ ...base, instanceId, error }));
}
