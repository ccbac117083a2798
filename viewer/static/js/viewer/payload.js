// Reader of the binary vector payload (format described in viewer/vector.py).
// Typed arrays wrap the response buffer directly: nothing is parsed but the JSON header.

const MAGIC = "LSVP";
export const FORMAT_VERSION = 1;

/** Parse a payload ArrayBuffer into {head, coords, offsets, texts, aligns, strings}. */
export function readPayload(buf) {
  if (buf.byteLength < 16) throw new Error("payload too short");
  const dv = new DataView(buf);
  const magic = String.fromCharCode(dv.getUint8(0), dv.getUint8(1), dv.getUint8(2), dv.getUint8(3));
  if (magic !== MAGIC) throw new Error("not a lianshen vector payload");
  const version = dv.getUint16(4, true);
  if (version !== FORMAT_VERSION) throw new Error(`payload version ${version} is not supported`);
  const J = dv.getUint32(8, true);
  const D = dv.getUint32(12, true);
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 16, J)));
  const a = head.arrays;
  return {
    head,
    coords: new Float32Array(buf, D + a.coords.offset, a.coords.length),
    offsets: new Uint32Array(buf, D + a.offsets.offset, a.offsets.length),
    texts: new Float32Array(buf, D + a.texts.offset, a.texts.length),
    aligns: a.aligns ? new Uint8Array(buf, D + a.aligns.offset, a.aligns.length) : null,
    strings: head.texts,
  };
}
