import { ApiError, missingParameter } from '../errors.js';
import type { EmulatorConfig } from '../types.js';

// The regions the emulated ECS knows. Others are "not found"; configured ones exist but do
// not offer the API, as for regions where Cloud Assistant is unavailable.

export const KNOWN_REGIONS: readonly string[] = [
  'cn-hangzhou',
  'cn-shanghai',
  'cn-beijing',
  'cn-shenzhen',
  'cn-qingdao',
  'cn-zhangjiakou',
  'cn-hongkong',
  'ap-southeast-1',
  'us-west-1',
  'us-east-1',
  'eu-central-1',
];

/** Returns the request's RegionId once it is known and supported. */
export function checkRegion(params: Record<string, string>, config: EmulatorConfig): string {
  const regionId = params['RegionId'];
  if (!regionId) throw missingParameter('RegionId');
  if (!KNOWN_REGIONS.includes(regionId)) {
    throw new ApiError(404, 'InvalidRegionId.NotFound', `The specified RegionId "${regionId}" does not exist.`);
  }
  if (config.unsupportedRegions.includes(regionId)) {
    throw new ApiError(400, 'RegionId.ApiNotSupported', `The API is not supported in region "${regionId}".`);
  }
  return regionId;
}
