import { MAX_CREDENTIAL_CHARS, readField } from './headers.js';

// Splits `Authorization: <scheme> <credentials>` (scheme case-insensitive, RFC 9110 §11.4).

export type Authorization =
  | { scheme: 'bearer' | 'basic'; credentials: string }
  | { scheme: 'other'; credentials: '' }
  | { scheme: 'too-long'; credentials: '' };

export function readAuthorization(headers: Record<string, string>): Authorization | undefined {
  const value = readField(headers, 'authorization');
  if (value === undefined) return undefined;
  if (value.length > MAX_CREDENTIAL_CHARS) return { scheme: 'too-long', credentials: '' };
  const match = /^\s*([A-Za-z]+)[ \t]+(\S(?:.*\S)?)\s*$/s.exec(value);
  if (match === null) return { scheme: 'other', credentials: '' };
  const scheme = match[1].toLowerCase();
  if (scheme === 'bearer' || scheme === 'basic') return { scheme, credentials: match[2] };
  return { scheme: 'other', credentials: '' };
}
