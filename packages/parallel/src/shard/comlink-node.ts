/**
 * comlink over Node worker_threads. comlink 4.4.2 ships its Node adapter as a CommonJS file
 * without an `exports` map (`module.exports = nodeEndpoint`): an ESM import of it type-checks
 * but yields a namespace object at run time, so it is loaded through createRequire.
 */
import { createRequire } from 'node:module';
import type { MessagePort, Worker } from 'node:worker_threads';
import { expose, wrap, type Endpoint, type Remote } from 'comlink';

const require = createRequire(import.meta.url);
const nodeEndpoint = require('comlink/dist/umd/node-adapter.js') as (nep: MessagePort | Worker) => Endpoint;

export function exposeOnPort(api: object, port: MessagePort | null): void {
  if (!port) throw new Error('a shard worker must run in a worker thread');
  expose(api, nodeEndpoint(port));
}

export function wrapWorker<T>(worker: Worker): Remote<T> {
  return wrap<T>(nodeEndpoint(worker));
}
