import { run } from './run.js';

// API and workers in one process: the embedded default.
await run();
