import { BadRequestError } from '../../layers/core/errors';
import { parseFrame, parsePageUpdate } from '../../layers/core/validation';

const limits = { maxUrlLength: 2048, maxTitleLength: 512 };

describe('parsePageUpdate', () => {
  it('accepts the extension frame and ignores the legacy jwt', () => {
    const body = JSON.stringify({ action: 'update-presence', url: 'https://x.org/', title: 'X', jwt: 'whatever' });
    expect(parsePageUpdate(body, limits)).toEqual({ url: 'https://x.org/', title: 'X' });
  });

  it('accepts a hidden page and a missing title', () => {
    expect(parsePageUpdate('{"url":"","title":""}', limits)).toEqual({ url: '', title: '' });
    expect(parsePageUpdate('{"url":"https://x.org/"}', limits)).toEqual({ url: 'https://x.org/', title: '' });
  });

  it.each([
    [undefined, /Empty/],
    ['', /Empty/],
    ['{', /not valid JSON/],
    ['"str"', /JSON object/],
    ['null', /JSON object/],
    ['[]', /JSON object/],
    ['{"title":"x"}', /"url" must be a string/],
    ['{"url":1}', /"url" must be a string/],
    ['{"url":"","title":5}', /"title" must be a string/],
    [JSON.stringify({ url: 'x'.repeat(2049) }), /longer than 2048/],
  ])('rejects %p', (body, message) => {
    expect(() => parsePageUpdate(body, limits)).toThrow(BadRequestError);
    expect(() => parsePageUpdate(body, limits)).toThrow(message);
  });

  it('cuts long titles and strips control characters', () => {
    const { title } = parsePageUpdate(JSON.stringify({ url: '', title: `a\u0000b\n${'c'.repeat(600)}` }), limits);
    expect(title).toHaveLength(512);
    expect(title.startsWith('a b c')).toBe(true);
  });
});

describe('parseFrame', () => {
  it('returns the object', () => {
    expect(parseFrame('{"action":"heartbeat"}')).toEqual({ action: 'heartbeat' });
  });
});
