import { constants, crc32, deflateRawSync } from 'node:zlib';

/**
 * Level 1: JSON lists of events compress well anyway (about 15x to 30x), and level 6 takes twice as long for 1%
 * less.
 */
const LEVEL = 1;

/** Member header (RFC 1952): deflate, no flags, no time, no extra flags, OS unknown. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/** Some bytes compressed on their own, to be joined with other parts into one gzip member. */
export interface Part {
  readonly deflated: Buffer;
  /** CRC-32 and length of the bytes before compression. */
  readonly crc: number;
  readonly length: number;
}

/**
 * `bytes` as raw deflate from a fresh compressor. A part that is not `last` ends with a sync flush: byte-aligned
 * and not final, so that such parts can follow each other in one stream in any combination, each compressed once
 * and reused while its bytes stay the same (pigz joins the output of its threads the same way). A part refers to
 * nothing outside itself, which costs some size: 8% on the 25 kB parts of `GET /events` against the whole at once.
 */
export function deflatePart(bytes: Uint8Array, last = false): Part {
  const finishFlush = last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH;
  return {
    deflated: deflateRawSync(bytes, { level: LEVEL, finishFlush }),
    crc: crc32(bytes),
    length: bytes.length,
  };
}

/** A gzip member of `parts` (see {@link deflatePart}), of which only the last is `last`. */
export function gzipFromParts(parts: readonly Part[]): Buffer {
  let crc = 0;
  let length = 0;
  for (const p of parts) {
    crc = crc32Combine(crc, p.crc, p.length);
    length += p.length;
  }
  const trailer = Buffer.allocUnsafe(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  return Buffer.concat([HEADER, ...parts.map((p) => p.deflated), trailer]);
}

/** The reflected CRC-32 polynomial. */
const POLY = 0xedb88320;

/** a(x) * b(x) modulo the CRC-32 polynomial, bits reflected as CRC-32 keeps them (zlib's multmodp). */
function multModP(a: number, b: number): number {
  if (a === 0) return 0;
  let product = 0;
  for (let m = 0x80000000; ; m >>>= 1) {
    if ((a & m) !== 0) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) modulo the polynomial, for k = 0..31 (zlib's x2n_table). */
const X2N: number[] = [0x40000000];
for (let k = 1; k < 32; k++) X2N.push(multModP(X2N[k - 1] ?? 0, X2N[k - 1] ?? 0));

/** x^(n * 2^k) modulo the polynomial (zlib's x2nmodp). */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000;
  for (; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) p = multModP(X2N[k & 31] ?? 0, p);
  }
  return p;
}

/**
 * The CRC-32 of A followed by B, from the CRC-32 of each and B's length (zlib's crc32_combine, which Node does
 * not expose): microseconds, without reading A or B again.
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(x2nModP(lengthB, 3), crcA) ^ crcB) >>> 0;
}
