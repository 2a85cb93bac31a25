import { afterAll } from 'vitest';
import { endFile } from './helpers/file-end.js';

// Test files share a worker (vitest.config.ts `isolate: false`): what a helper started for a
// file (its emulator, test/helpers/stack.ts) ends with the file, even where the file does not
// end it, so no request log, fault or seeded invocation reaches the next file.
afterAll(endFile);
