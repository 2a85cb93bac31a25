// Canonical rollout guard request (README "Rollout guard"), the same strictness as the
// stop request: unknown fields are refused.

import { MAX_ERRORS_PATTERN } from './max-errors.js';
import { actionRequestSchema, INVOKE_ID, REGION_ID } from './stop-request.js';

export const guardRequestSchema = actionRequestSchema('guard-request', 'guard', ['regionId', 'invokeId'], {
  regionId: { type: 'string', pattern: REGION_ID },
  invokeId: { type: 'string', pattern: INVOKE_ID },
  // SSM writes it as a string ("10", "10%"); a plain number is accepted too.
  maxErrors: { anyOf: [{ type: 'integer', minimum: 0, maximum: 100000 }, { type: 'string', pattern: MAX_ERRORS_PATTERN }] },
  dryRun: { type: 'boolean' },
  reason: { type: 'string', maxLength: 1024 },
});
