/**
 * Synthetic data files for the loader tests (not part of the published API): IDX files written
 * independently of the parser, and gzip streams that inflate to far more than they hold,
 * built without ever holding the inflated bytes.
 */
import { gzipSync } from 'node:zlib';

/** IDX type names and their (type code, bytes per value). */
export const IDX_CODES = {
  ubyte: [0x08, 1],
  sbyte: [0x09, 1],
  int16: [0x0b, 2],
  int32: [0x0c, 4],
  float32: [0x0d, 4],
  float64: [0x0e, 8],
} as const;
export type IdxTypeName = keyof typeof IDX_CODES;

/** An IDX file: magic, big-endian dims, then `values` big-endian (as many as given, whatever the dims claim). */
export function idxBytes(type: IdxTypeName, dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  const [code, size] = IDX_CODES[type];
  const bytes = new Uint8Array(4 + 4 * dims.length + values.length * size);
  const view = new DataView(bytes.buffer);
  bytes[2] = code;
  bytes[3] = dims.length;
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim, false));
  const at = 4 + 4 * dims.length;
  for (let i = 0; i < values.length; i++) {
    const o = at + i * size;
    if (type === 'ubyte') view.setUint8(o, values[i]);
    else if (type === 'sbyte') view.setInt8(o, values[i]);
    else if (type === 'int16') view.setInt16(o, values[i], false);
    else if (type === 'int32') view.setInt32(o, values[i], false);
    else if (type === 'float32') view.setFloat32(o, values[i], false);
    else view.setFloat64(o, values[i], false);
  }
  return bytes;
}

const ZERO_MEMBER_BYTES = 1 << 24;
let zeroMember: Uint8Array | undefined;

/**
 * A gzip stream that inflates to `head` followed by `zeros` zero bytes: gzip allows members
 * one after another, so 16 MiB of zeros is compressed once (16 KiB) and repeated. A few
 * megabytes of file inflate to gigabytes, as a gzip bomb or a huge but real dataset does.
 */
export function gzipWithZeros(head: Uint8Array, zeros: number): Uint8Array {
  zeroMember ??= gzipSync(new Uint8Array(ZERO_MEMBER_BYTES), { level: 9 });
  const members: Uint8Array[] = [gzipSync(head)];
  for (let left = zeros; left > 0; left -= ZERO_MEMBER_BYTES) {
    members.push(left >= ZERO_MEMBER_BYTES ? zeroMember : gzipSync(new Uint8Array(left), { level: 9 }));
  }
  return Buffer.concat(members);
}
