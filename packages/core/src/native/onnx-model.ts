/**
 * A minimal ONNX model writer: the protobuf bytes of a `ModelProto` holding one graph of plain
 * operators (MatMul, Gemm, Relu, Mul, …) with symbolic dimensions. The native backend builds
 * its few fixed graphs with it at run time, so no model file ships and no protobuf or ONNX
 * package is needed. Field numbers are those of onnx.proto (ONNX IR version 8, opset 17).
 */

/** The element types the graphs use (ONNX `TensorProto.DataType` codes). */
export const ONNX_ELEMENT_TYPE = { float32: 1, bool: 9, float64: 11 } as const;
export type OnnxElementType = keyof typeof ONNX_ELEMENT_TYPE;

/** A graph input or output: name, element type and shape (a number, or a symbolic name). */
export interface OnnxValue {
  readonly name: string;
  readonly type: OnnxElementType;
  readonly dims: readonly (number | string)[];
}

/** One operator node; attributes are ints (`transB: 1`) or floats (`alpha: 0.5`). */
export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly ints?: Readonly<Record<string, number>>;
  readonly floats?: Readonly<Record<string, number>>;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
}

/** Protobuf wire types. */
const VARINT = 0;
const FIXED32 = 5;
const LENGTH_DELIMITED = 2;

/** Appends protobuf fields to a growing byte list (the models are a few hundred bytes). */
class ProtoWriter {
  readonly bytes: number[] = [];

  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`onnx: varint out of range: ${value}`);
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, value: number): this {
    this.tag(field, VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.bytes.push(...b);
    return this;
  }

  string(field: number, value: string): this {
    return this.message(field, Array.from(new TextEncoder().encode(value)));
  }

  message(field: number, body: readonly number[] | ProtoWriter): this {
    const bytes = body instanceof ProtoWriter ? body.bytes : body;
    this.tag(field, LENGTH_DELIMITED);
    this.varint(bytes.length);
    for (const b of bytes) this.bytes.push(b);
    return this;
  }
}

// AttributeProto.AttributeType
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;

function valueInfo(v: OnnxValue): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    // TensorShapeProto.Dimension: dim_value = 1, dim_param = 2.
    shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  }
  // TypeProto.Tensor: elem_type = 1, shape = 2; TypeProto: tensor_type = 1.
  const tensor = new ProtoWriter().int(1, ONNX_ELEMENT_TYPE[v.type]).message(2, shape);
  // ValueInfoProto: name = 1, type = 2.
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensor));
}

function node(n: OnnxNode, index: number): ProtoWriter {
  // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `${n.op}_${index}`).string(4, n.op);
  // AttributeProto: name = 1, f = 2, i = 3, type = 20.
  for (const [name, value] of Object.entries(n.ints ?? {})) w.message(5, new ProtoWriter().string(1, name).int(3, value).int(20, ATTRIBUTE_INT));
  for (const [name, value] of Object.entries(n.floats ?? {})) w.message(5, new ProtoWriter().string(1, name).float(2, value).int(20, ATTRIBUTE_FLOAT));
  return w;
}

/**
 * The serialized `ModelProto` of a graph (IR version 8, default-domain opset 17), ready for
 * an ONNX Runtime session.
 *
 * @example
 * const bytes = encodeOnnxModel({
 *   name: 'matmul',
 *   nodes: [{ op: 'MatMul', inputs: ['A', 'X'], outputs: ['Z'] }],
 *   inputs: [{ name: 'A', type: 'float32', dims: ['m', 'K'] }, { name: 'X', type: 'float32', dims: ['K', 'n'] }],
 *   outputs: [{ name: 'Z', type: 'float32', dims: ['m', 'n'] }],
 * });
 */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  // GraphProto: node = 1, name = 2, input = 11, output = 12.
  const g = new ProtoWriter();
  graph.nodes.forEach((n, i) => g.message(1, node(n, i)));
  g.string(2, graph.name);
  for (const v of graph.inputs) g.message(11, valueInfo(v));
  for (const v of graph.outputs) g.message(12, valueInfo(v));
  // ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 (domain 1, version 2).
  const model = new ProtoWriter().int(1, 8).string(2, 'mflab').message(7, g).message(8, new ProtoWriter().string(1, '').int(2, 17));
  return Uint8Array.from(model.bytes);
}
