import { cpuMs, replyAndExit } from './report.js';

// Cold start, the bare floor: node starting, running this line and answering. What every
// variant pays before its own first instruction.

replyAndExit({ done: true, outcome: 'stopped', cpuMs: cpuMs(), marks: { entry: performance.now(), answered: performance.now() } });
