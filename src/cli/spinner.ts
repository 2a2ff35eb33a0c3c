const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  text(text: string): void;
  /** Prints a line above the spinner. */
  log(line: string): void;
  stop(): void;
}

/** A one-line spinner on stderr when it is a terminal; plain lines otherwise (logs, pipes). */
export function createSpinner(initial: string, stream: NodeJS.WriteStream = process.stderr): Spinner {
  if (!stream.isTTY) {
    stream.write(`${initial}\n`);
    return { text: (t) => stream.write(`${t}\n`), log: (l) => stream.write(`${l}\n`), stop: () => undefined };
  }
  let current = initial;
  let frame = 0;
  // Kept to one line: a wrapped line could not be cleared with a carriage return.
  const draw = () => stream.write(`\r\u001b[2K${FRAMES[frame++ % FRAMES.length]} ${current.slice(0, Math.max(10, (stream.columns || 80) - 3))}`);
  const clear = () => stream.write('\r\u001b[2K');
  const timer = setInterval(draw, 100);
  draw();
  return {
    text(t) {
      current = t;
      draw();
    },
    log(line) {
      clear();
      stream.write(`${line}\n`);
      draw();
    },
    stop() {
      clearInterval(timer);
      clear();
    },
  };
}
