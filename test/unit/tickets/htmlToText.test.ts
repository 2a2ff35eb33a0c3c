import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../../src/tickets/htmlToText.js';

describe('htmlToText', () => {
  it('turns block ends and <br> into line breaks and drops other tags', () => {
    expect(htmlToText('<p>Export fails.</p><p>/repro debian-12 +nginx</p>')).toBe('Export fails.\n/repro debian-12 +nginx\n');
    expect(htmlToText('a<br>b<BR/>c<br />d< /p>e</DIV>f</li>g</h3>h')).toBe('a\nb\nc\nd\ne\nf\ng\nh');
    expect(htmlToText('<div class="x"><span style="color:red">/repro</span> rocky-9</div>')).toBe('/repro rocky-9\n');
  });

  it('decodes the common entities once', () => {
    expect(htmlToText('a&nbsp;b &lt;c&gt; &quot;d&quot; &#39;e&#039; f&amp;g &amp;lt;')).toBe('a b <c> "d" \'e\' f&g &lt;');
    expect(htmlToText('&unknown; & &')).toBe('&unknown; & &');
  });

  it('keeps a < that no > closes, and decoded < are text, not tags', () => {
    expect(htmlToText('1 < 2 and 3 <')).toBe('1 < 2 and 3 <');
    expect(htmlToText('&lt;b&gt;bold&lt;/b&gt;')).toBe('<b>bold</b>');
    expect(htmlToText('<a <b>x')).toBe('x');
  });
});
