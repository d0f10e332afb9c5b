/**
 * `train.optimizer` (ARCHITECTURE.md §7): sgd, heavy-ball momentum and AdamW as one update over a
 * slice of a parameter tensor, their state buffers and their checkpoint form.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_OPTIMIZER,
  OPTIMIZERS,
  allocateOptimizerBuffers,
  optimizerStateEntries,
  resolveOptimizerSpec,
  restoreOptimizerState,
  updateSlice,
  type OptimizerBuffers,
  type OptimizerName,
  type OptimizerSpec,
} from './optimizer.js';
