export type OutputStream = 'stdout' | 'stderr';

/**
 * Docker multiplexes the output of a non-TTY exec into frames: one byte naming the stream, three
 * padding bytes, a big-endian 32-bit payload size, the payload. Returns a function to feed raw
 * chunks to; `onFrame` gets each payload as soon as it is complete.
 * Not docker-modem's demuxStream: on a type-3 frame (engine error) it gives up demultiplexing and
 * passes the rest of the stream, frame headers included, to stdout.
 */
export function demuxStream(onFrame: (stream: OutputStream, payload: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      // 2 is stderr, 3 the engine's own errors (e.g. executable not found): both belong on stderr.
      onFrame(pending[0]! >= 2 ? 'stderr' : 'stdout', pending.subarray(8, 8 + size));
      pending = pending.subarray(8 + size);
    }
  };
}
