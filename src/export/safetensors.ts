/**
 * The safetensors format, which PyTorch users exchange weights in: an 8-byte little-endian
 * header length, a JSON header (each tensor's dtype, shape and byte range, plus string
 * metadata), then the tensors' bytes. Small enough to write here; model.py reads it with the
 * Python standard library.
 */
import { UserError } from "../errors.js";

export type Dtype = "F32" | "I64";

export interface SafeTensor {
  dtype: Dtype;
  shape: readonly number[];
  /** Little-endian bytes, as the format stores them. */
  bytes: Uint8Array;
}

const ITEM_SIZE: Record<Dtype, number> = { F32: 4, I64: 8 };

export function float32Tensor(shape: readonly number[], data: Float32Array): SafeTensor {
  return { dtype: "F32", shape, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Whole numbers that netc keeps as floats (a count) as an I64 tensor, as PyTorch keeps them. */
export function int64Tensor(shape: readonly number[], values: ArrayLike<number>): SafeTensor {
  const data = BigInt64Array.from(Array.from(values, (v) => BigInt(Math.round(v))));
  return { dtype: "I64", shape, bytes: new Uint8Array(data.buffer) };
}

export function encodeSafetensors(tensors: ReadonlyMap<string, SafeTensor>, metadata: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  // The header is padded with spaces so the data starts 8-byte aligned.
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

/** Reads a safetensors file's bytes; a malformed file is a UserError naming `path`. */
export function decodeSafetensors(bytes: Uint8Array, path: string): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  const bad = (why: string) => new UserError(`${path} is not a safetensors file: ${why}`, ["pass a weights file written by `netc export` or by the exported model.py"]);
  if (bytes.length < 8) throw bad("it is shorter than the 8-byte header length");
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (length > bytes.length - 8) throw bad(`its header length (${length} bytes) runs past the end of the file`);
  let header: Record<string, { dtype?: unknown; shape?: unknown; data_offsets?: unknown }>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString("utf8"));
  } catch (e) {
    throw bad(`its header is not JSON (${(e as Error).message})`);
  }
  const data = bytes.subarray(8 + length);
  const { __metadata__: metadata = {}, ...entries } = header as Record<string, never>;
  const tensors = new Map<string, SafeTensor>();
  for (const [name, entry] of Object.entries(entries) as [string, { dtype?: unknown; shape?: unknown; data_offsets?: unknown }][]) {
    const { dtype, shape, data_offsets: range } = entry ?? {};
    if (dtype !== "F32" && dtype !== "I64") throw bad(`tensor ${name} has dtype ${String(dtype)}; netc reads F32 (and I64 counters)`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor ${name} has no valid shape`);
    if (!Array.isArray(range) || range.length !== 2) throw bad(`tensor ${name} has no valid data_offsets`);
    const [begin, end] = range as [number, number];
    const size = shape.reduce((a: number, b: number) => a * b, 1) * ITEM_SIZE[dtype];
    if (!(begin >= 0 && end - begin === size && end <= data.length)) throw bad(`tensor ${name}'s bytes ${begin}-${end} do not fit its shape or the file`);
    tensors.set(name, { dtype, shape, bytes: data.slice(begin, end) });
  }
  return { tensors, metadata };
}

/** A F32 tensor's values. */
export function float32Data(t: SafeTensor): Float32Array {
  return new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4);
}

/** An I64 tensor's values as floats. */
export function int64AsFloat32(t: SafeTensor): Float32Array {
  // A copy of the bytes: they may not be 8-byte aligned in their buffer (a Buffer's slice does not copy).
  return Float32Array.from(new BigInt64Array(new Uint8Array(t.bytes).buffer), Number);
}
