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
  const out: string[] = [];
  // Text from `start` is copied as is up to the next tag or entity; the search goes on from `from`.
  let start = 0;
  let from = 0;
  // Next `<`, `&` and `>` at or after `from`, found once and reused until passed; -1 once none is left.
  let lt = -2;
  let amp = -2;
  let gt = -2;
  const after = (char: string, cached: number, at: number) => (cached === -1 || cached >= at ? cached : html.indexOf(char, at));
  while (from < html.length) {
    lt = after('<', lt, from);
    amp = after('&', amp, from);
    const next = lt === -1 ? amp : amp === -1 ? lt : Math.min(lt, amp);
    if (next === -1) break;
    if (next === amp) {
      const entity = ENTITIES.find(([name]) => html.startsWith(name, amp));
      if (entity) {
        out.push(html.slice(start, amp), entity[1]);
        start = amp + entity[0].length;
      }
      from = entity ? start : amp + 1;
      continue;
    }
    gt = after('>', gt, lt + 1);
    if (gt === -1) {
      // No tag can close any more: every `<` left is text.
      lt = -1;
      from = next + 1;
      continue;
    }
    out.push(html.slice(start, lt));
    if (gt - lt <= MAX_BREAK_TAG && isBreak(html.slice(lt + 1, gt))) out.push('\n');
    start = from = gt + 1;
  }
  out.push(html.slice(start));
  return out.join('');
}

/** `br`, `br/`, `/p`, `/ div`… with any spacing and case. */
function isBreak(inside: string): boolean {
  const name = inside.trim().replace(/\/$/, '').trim().replace(/^\/\s*/, '/').toLowerCase();
  return BREAK.has(name);
}
