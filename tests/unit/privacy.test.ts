import type { SharingSettings } from '../../layers/core/model';
import { domainOf, isShared, SHARE_NOTHING, visiblePage } from '../../layers/core/privacy';

const all = (deny: string[] = []): SharingSettings => ({ shareMode: 'default_all', domainAllow: [], domainDeny: deny });
const none = (allow: string[] = []): SharingSettings => ({ shareMode: 'default_none', domainAllow: allow, domainDeny: [] });

describe('domainOf', () => {
  it.each([
    ['https://news.bbc.co.uk/world', 'bbc.co.uk'],
    ['https://en.wikipedia.org/wiki/X', 'wikipedia.org'],
    ['http://user:pw@sub.example.com:8080/p?q#h', 'example.com'],
    ['https://foo.github.io/page', 'foo.github.io'],
    ['https://localhost:3000/', 'localhost'],
    ['https://192.168.0.1/', '192.168.0.1'],
    ['', ''],
    ['not a url', ''],
    ['chrome://settings', ''],
    ['javascript:alert(1)', ''],
  ])('%s -> %s', (url, domain) => {
    expect(domainOf(url)).toBe(domain);
  });
});

describe('sharing rules', () => {
  it('default_all shares unless the domain (or a parent) is denied', () => {
    expect(isShared(all(), 'https://example.com/')).toBe(true);
    expect(isShared(all(['example.com']), 'https://www.example.com/x')).toBe(false);
    expect(isShared(all(['mail.example.com']), 'https://www.example.com/')).toBe(true);
    expect(isShared(all(['mail.example.com']), 'https://mail.example.com/inbox')).toBe(false);
    expect(isShared(all(['EXAMPLE.com ']), 'https://example.com/')).toBe(false);
    expect(isShared(all(['https://www.example.com/']), 'https://example.com/')).toBe(false);
  });

  it('default_none shares only allowed domains, without suffix look-alikes', () => {
    expect(isShared(none(['bbc.co.uk']), 'https://news.bbc.co.uk/')).toBe(true);
    expect(isShared(none(['bbc.co.uk']), 'https://evilbbc.co.uk/')).toBe(false);
    expect(isShared(none(['bbc.co.uk']), 'https://bbc.co.uk.evil.com/')).toBe(false);
    expect(isShared(none(['co.uk']), 'https://bbc.co.uk/')).toBe(true);
    expect(isShared(none([]), 'https://example.com/')).toBe(false);
  });

  it('never shares non-web or unparsable urls, and unknown users share nothing', () => {
    expect(isShared(all(), 'file:///etc/passwd')).toBe(false);
    expect(isShared(all(), 'garbage')).toBe(false);
    expect(isShared(SHARE_NOTHING, 'https://example.com/')).toBe(false);
  });

  it('visiblePage hides what is not shared', () => {
    expect(visiblePage(all(['x.com']), 'https://x.com/a', 'A')).toEqual({ url: '', title: '', domain: '' });
    expect(visiblePage(all(), 'https://x.com/a', 'A')).toEqual({ url: 'https://x.com/a', title: 'A', domain: 'x.com' });
    expect(visiblePage(all(), '', 'title without url')).toEqual({ url: '', title: '', domain: '' });
  });
});
