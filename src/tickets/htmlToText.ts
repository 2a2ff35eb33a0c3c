const BREAK = new Set(['br', '/p', '/div', '/li', '/h1', '/h2', '/h3', '/h4', '/h5', '/h6']);
const ENTITIES: Array<[string, string]> = [
  ['&nbsp;', ' '], ['&lt;', '<'], ['&gt;', '>'], ['&quot;', '"'], ['&#39;', "'"], ['&#039;', "'"], ['&amp;', '&'],
];
/** Longer than any break tag's inside (`/h1 /` with spaces): such a tag is removed without a look. */
const MAX_BREAK_TAG = 32;

/**
 * Rich-text bodies (GLPI, Zammad) reduced to lines, so a `/repro` line is found wherever the
 * editor put it: `<br>`, `</p>`, `</div>`, `</li>`, `</hN>` become line breaks, other tags go,
 * the common entities are decoded once. A `<` with no `>` after it stays as text.
 *
 * One pass over attacker-controlled text: each search for the next `<`, `&` or `>` starts where
 * the last one ended and its answer is kept until passed, so every character is looked at a
 * bounded number of times, where `/<[^>]*>/g` rescanned to the end from every unclosed `<`.
 */
export function htmlToText(html: string): string {
  let out = '';
  let i = 0;
  // Next `<`, `&` and `>` at or after i, found once and reused until passed; -1 once there are none left.
  let lt = -2;
  let amp = -2;
  let gt = -2;
  const after = (char: string, cached: number, from: number) => (cached === -1 || cached >= from ? cached : html.indexOf(char, from));
  while (i < html.length) {
    lt = after('<', lt, i);
    amp = after('&', amp, i);
    const next = lt === -1 ? amp : amp === -1 ? lt : Math.min(lt, amp);
    if (next === -1) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, next);
    if (next === amp) {
      const entity = ENTITIES.find(([name]) => html.startsWith(name, amp));
      out += entity ? entity[1] : '&';
      i = amp + (entity ? entity[0].length : 1);
      continue;
    }
    gt = after('>', gt, lt + 1);
    if (gt === -1) {
      out += '<';
      i = lt + 1;
      continue;
    }
    if (gt - lt <= MAX_BREAK_TAG && isBreak(html.slice(lt + 1, gt))) out += '\n';
    i = gt + 1;
  }
  return out;
}

/** `br`, `br/`, `/p`, `/ div`… with any spacing and case. */
function isBreak(inside: string): boolean {
  const name = inside.trim().replace(/\/$/, '').trim().replace(/^\/\s*/, '/').toLowerCase();
  return BREAK.has(name);
}
