import { afterAll } from 'vitest';
import { closeEmulator } from './helpers/stack.js';

// Test files share a worker (vitest.config.ts `isolate: false`): every file's emulator ends
// with the file, even where the file does not close it, so no request log, fault or seeded
// invocation reaches the next file.
afterAll(closeEmulator);
