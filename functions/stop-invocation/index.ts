import { createEntryPoints } from '../../shared/handler.js';
import { FunctionInstance } from '../../shared/instance.js';

// FC 3.0 entry points (s.yaml: handler index.handler, initializer index.initialize).
// Thin on purpose: all behaviour lives in shared/.

const fn = createEntryPoints(() => new FunctionInstance());

/** Instance initializer: checks the configuration and assumes the role before the first alert. */
export const initialize = fn.initialize;

/** HTTP trigger → FC HTTP response; event or timer invocation → the result event. */
export const handler = fn.handler;
