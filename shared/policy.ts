import type { Config } from './config.js';
import { RequestError } from './errors.js';
import type { Adapted } from './types.js';

// Rules that hold whatever the source: only allowed regions, and no more instance ids
// per request than MAX_INSTANCES. Checked before any ECS call so a refusal is total.

export function checkPolicy(adapted: Adapted, config: Config): void {
  const allowed = config.allowedRegions;
  if (allowed) {
    const regions = [...adapted.requests.map((r) => r.regionId), ...(adapted.sweep?.regionIds ?? [])];
    const denied = [...new Set(regions.filter((r) => !allowed.includes(r)))];
    if (denied.length > 0) {
      throw new RequestError(
        403,
        'RegionNotAllowed',
        `region ${denied.join(', ')} is not in ALLOWED_REGIONS (${allowed.join(', ')})`,
        adapted.requests.map((r, i) => ({ r, i })).filter(({ r }) => denied.includes(r.regionId))
          .map(({ i }) => ({ path: adapted.requests.length > 1 ? `/requests/${i}/regionId` : '/regionId', message: 'is not an allowed region' })),
      );
    }
  }
  const total = adapted.requests.reduce((n, r) => n + (r.instanceIds?.length ?? 0), 0);
  if (total > config.maxInstances) {
    throw new RequestError(400, 'TooManyInstances', `${total} instance ids in one request; the limit is MAX_INSTANCES=${config.maxInstances}`, [
      { path: '/instanceIds', message: `must have at most ${config.maxInstances} items` },
    ]);
  }
}
