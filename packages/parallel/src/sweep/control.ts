/**
 * The shared control block of one sweep: a stop flag and one progress slot per task, in a single
 * SharedArrayBuffer that every task of the sweep receives. Tasks write, the executor polls on a
 * timer: progress costs a few stores per report and no message between threads.
 *
 * Layout: Int32 [stop flag, unused], then SLOT_FIELDS float64 per task. A slot's `version`
 * field is bumped with an Atomics add *after* the other fields are written; the reader loads it
 * atomically first, so a changed version means the fields it then reads are at least that fresh.
 * Progress is advisory (a bar on a screen): a report overwritten by the next one is fine.
 */

const HEADER_BYTES = 8;
const STOP_INDEX = 0;

/** Float64 fields of a slot, then one Int32 version per slot after all the slots. */
const FRACTION = 0;
const STEP = 1;
const OBJECTIVE = 2;
const SLOT_FIELDS = 3;

/** What a task last reported. NaN marks a field it never set. */
export interface SlotReading {
  fraction: number;
  step: number;
  objective: number;
  /** How many reports the task made (0: none yet). */
  version: number;
}

/** Views over a control buffer; built on both sides from the same SharedArrayBuffer. */
export class SweepControl {
  readonly buffer: SharedArrayBuffer;
  readonly slots: number;
  private readonly flags: Int32Array;
  private readonly fields: Float64Array;
  private readonly versions: Int32Array;

  /** A fresh block for `slots` tasks, or views over an existing one (inside a worker). */
  constructor(slotsOrBuffer: number | SharedArrayBuffer) {
    if (typeof slotsOrBuffer === 'number') {
      const slots = slotsOrBuffer;
      this.buffer = new SharedArrayBuffer(HEADER_BYTES + slots * SLOT_FIELDS * 8 + slots * 4);
      this.slots = slots;
    } else {
      this.buffer = slotsOrBuffer;
      this.slots = (slotsOrBuffer.byteLength - HEADER_BYTES) / (SLOT_FIELDS * 8 + 4);
    }
    this.flags = new Int32Array(this.buffer, 0, 2);
    this.fields = new Float64Array(this.buffer, HEADER_BYTES, this.slots * SLOT_FIELDS);
    this.versions = new Int32Array(this.buffer, HEADER_BYTES + this.slots * SLOT_FIELDS * 8, this.slots);
    if (typeof slotsOrBuffer === 'number') this.fields.fill(NaN);
  }

  requestStop(): void {
    Atomics.store(this.flags, STOP_INDEX, 1);
  }

  get stopRequested(): boolean {
    return Atomics.load(this.flags, STOP_INDEX) !== 0;
  }

  /** Writer side (inside the task's worker). */
  report(slot: number, fraction: number, step: number, objective: number): void {
    const base = slot * SLOT_FIELDS;
    this.fields[base + FRACTION] = fraction;
    this.fields[base + STEP] = step;
    this.fields[base + OBJECTIVE] = objective;
    Atomics.add(this.versions, slot, 1);
  }

  /** Reader side (the executor's progress timer). */
  read(slot: number): SlotReading {
    const version = Atomics.load(this.versions, slot);
    const base = slot * SLOT_FIELDS;
    return { fraction: this.fields[base + FRACTION], step: this.fields[base + STEP], objective: this.fields[base + OBJECTIVE], version };
  }

  version(slot: number): number {
    return Atomics.load(this.versions, slot);
  }
}
