export { philox4x32 } from './philox.js';
export { CounterRng, Draws, RandomStream, checkSeed, type RandomStreamId } from './streams.js';
