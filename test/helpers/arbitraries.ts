import fc from 'fast-check';

// fast-check arbitraries the property and fuzz suites share.

/** fast-check's `unit: 'binary'` (any code point, lone surrogates too), without the ~1 s it spends building its shrink table. */
export const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));
