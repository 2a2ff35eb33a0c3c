import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import type { Key } from '../i18n.js';

/** Close codes of the terminal WebSocket, in words. */
const CLOSE_REASONS: Record<number, Key> = { 1000: 'terminalEnded', 4404: 'terminalNotFound', 4408: 'terminalTimeLimit', 4409: 'terminalNotReady', 1011: 'terminalError' };

/**
 * A terminal in `host` over `GET /v1/environments/:id/terminal`: binary frames both ways for the
 * bytes, a JSON text frame for each resize. Calls `onEnd` with why it ended; returns a closer.
 */
export function openTerminal(host: HTMLElement, envId: string, onEnd: (reason: Key) => void): () => void {
  const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000, screenReaderMode: false });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(host);
  fit.fit();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // The first size rides on the URL so the shell starts at the right size; resizes follow as frames.
  const ws = new WebSocket(`${scheme}://${location.host}/v1/environments/${encodeURIComponent(envId)}/terminal?cols=${term.cols}&rows=${term.rows}`);
  ws.binaryType = 'arraybuffer';
  let opened = false;
  const encoder = new TextEncoder();
  const sendSize = () => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols: term.cols, rows: term.rows }));
  };
  ws.onopen = () => {
    opened = true;
    sendSize();
    term.focus();
  };
  ws.onmessage = (event) => {
    term.write(typeof event.data === 'string' ? event.data : new Uint8Array(event.data as ArrayBuffer));
  };
  ws.onclose = (event) => {
    // Closed before it ever opened with no code of ours: the server has no terminal route.
    onEnd(CLOSE_REASONS[event.code] ?? (opened ? 'terminalEnded' : 'terminalUnavailable'));
  };
  const input = term.onData((data) => { if (ws.readyState === WebSocket.OPEN) ws.send(encoder.encode(data)); });
  const binary = term.onBinary((data) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(Uint8Array.from(data, (c) => c.charCodeAt(0)));
  });
  term.onResize(sendSize);
  const observer = new ResizeObserver(() => fit.fit());
  observer.observe(host);
  return () => {
    observer.disconnect();
    input.dispose();
    binary.dispose();
    ws.close(1000);
    term.dispose();
  };
}
