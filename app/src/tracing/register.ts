/** Imported first by main.ts so that the HTTP instrumentation patches `http` before Nest loads it. */
import { startTracing } from './tracing';

startTracing();
