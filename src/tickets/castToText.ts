const ESC = '\u001b';
const BEL = '\u0007';

/**
 * The readable text of an asciicast v2 recording: its output events joined, with terminal
 * control sequences (colours, cursor moves, titles) removed, CR-LF made LF and backspaces
 * applied. One pass over the input (linear time, whatever the recording holds); only the last
 * `maxBytes` are kept, since the end of a session is usually what shows the reproduction.
 */
export function castToText(cast: string, maxBytes: number): { text: string; cut: boolean } {
  let out: string[] = [];
  let kept = 0;
  let cut = false;
  // Escape-sequence state persists across events: a sequence can be split between two chunks.
  let state: 'text' | 'esc' | 'csi' | 'osc' | 'oscEsc' = 'text';
  const push = (ch: string) => {
    if (ch === '\b') {
      if (out.length > 0 && out[out.length - 1] !== '\n') {
        kept -= Buffer.byteLength(out.pop()!);
      }
      return;
    }
    out.push(ch);
    kept += Buffer.byteLength(ch);
    // Drop from the front in halves so trimming stays linear overall.
    if (kept > maxBytes * 2) {
      out = out.slice(out.length - maxBytes);
      kept = Buffer.byteLength(out.join(''));
      cut = true;
    }
  };
  for (const line of cast.split('\n')) {
    if (!line.startsWith('[')) continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    if (!Array.isArray(event) || event[1] !== 'o' || typeof event[2] !== 'string') continue;
    for (const ch of event[2]) {
      switch (state) {
        case 'text':
          if (ch === ESC) state = 'esc';
          else if (ch === '\n' || ch === '\t' || ch === '\b' || ch >= ' ') push(ch);
          break;
        case 'esc':
          state = ch === '[' ? 'csi' : ch === ']' ? 'osc' : 'text';
          break;
        case 'csi':
          // Parameters and intermediates are 0x20–0x3F; the final byte ends the sequence.
          if (ch >= '@' && ch <= '~') state = 'text';
          break;
        case 'osc':
          if (ch === BEL) state = 'text';
          else if (ch === ESC) state = 'oscEsc';
          break;
        case 'oscEsc':
          state = ch === '\\' ? 'text' : 'osc';
          break;
      }
    }
  }
  const all = Buffer.from(out.join(''));
  if (all.length <= maxBytes) return { text: all.toString('utf8'), cut };
  // A cut inside a multi-byte character leaves a replacement character at the start: drop it.
  return { text: all.subarray(all.length - maxBytes).toString('utf8').replace(/^\uFFFD+/, ''), cut: true };
}
