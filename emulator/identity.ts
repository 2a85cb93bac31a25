// The emulated account: one RAM user with a permanent demo key, and one role it may
// assume. Fixed values so `npm run emulator` prints the same keys every time.

export const ACCOUNT_ID = '1234567890123456';

export const DEMO_KEYS = {
  accessKeyId: 'LTAI5tEmuLocalDemoKey001',
  accessKeySecret: 'EmuDemoSecretNotForRealUse0001',
} as const;

export const DEMO_USER_ARN = `acs:ram::${ACCOUNT_ID}:user/emulator-demo`;

export const ROLE_NAME = 'stop-invocation-target';
export const ROLE_ARN = `acs:ram::${ACCOUNT_ID}:role/${ROLE_NAME}`;
/** RAM role ids are numeric strings. */
export const ROLE_ID = '300800000000000001';
export const ROLE_MAX_SESSION_SECONDS = 3600;
