import { createHmac } from 'node:crypto';
import { type Check, checkTimestamp, failed, MAX_CREDENTIAL_CHARS, passed, readFirst, safeEqual, type SignedInput } from './verifier.js';

// Grafana Alerting webhook contact point, "HMAC Signature" settings (Grafana 12+):
// hex HMAC-SHA256 keyed with the secret exactly as typed in Grafana, over the body, or over
// `{timestamp}:{body}` when a timestamp header is configured. Both header names are
// user-configurable in Grafana: we accept the documented default, the signer's built-in
// fallback, and the timestamp names Grafana's own examples use (there is no default one).

const METHOD = 'grafana-hmac';
export const GRAFANA_SIGNATURE_HEADERS = ['x-grafana-alerting-signature', 'x-grafana-alert-signature'] as const;
export const GRAFANA_TIMESTAMP_HEADERS = [
  'x-grafana-alerting-signature-timestamp',
  'x-grafana-alert-signature-timestamp',
  'x-grafana-alerting-timestamp',
] as const;

export function verifyGrafana({ headers, body, secrets, nowSeconds, toleranceSeconds }: SignedInput): Check | undefined {
  const signature = readFirst(headers, GRAFANA_SIGNATURE_HEADERS);
  if (signature === undefined) return undefined;
  const path = `header ${signature.name}`;
  if (signature.value.length > MAX_CREDENTIAL_CHARS) return failed(METHOD, path, 'is too long');
  const hex = signature.value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) return failed(METHOD, path, 'is not a hex HMAC-SHA256 signature');

  const timestamp = readFirst(headers, GRAFANA_TIMESTAMP_HEADERS);
  if (timestamp !== undefined) {
    if (timestamp.value.length > MAX_CREDENTIAL_CHARS) return failed(METHOD, `header ${timestamp.name}`, 'is too long');
    const time = checkTimestamp(timestamp.value, nowSeconds, toleranceSeconds);
    if (!time.ok) return failed(METHOD, `header ${timestamp.name}`, time.reason);
  }

  let hit = false;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const mac = createHmac('sha256', Buffer.from(secret, 'utf8'));
    if (timestamp !== undefined) mac.update(`${timestamp.value}:`, 'utf8');
    hit = safeEqual(hex, mac.update(body).digest('hex')) || hit;
  }
  if (hit) return passed(METHOD, path);
  // Grafana lets the timestamp header be named freely; signed over "timestamp:body" with an
  // unknown name, the check above used the body alone. Say which names are read.
  const hint = timestamp === undefined ? ` (if Grafana sends a timestamp header, name it ${GRAFANA_TIMESTAMP_HEADERS[2]})` : '';
  return failed(METHOD, path, `does not match the request${hint}`);
}
