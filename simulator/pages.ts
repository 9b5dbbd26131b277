/**
 * Pages the simulated users visit: real-looking URLs and titles on common domains, with lengths like
 * a browser's (a frame's size is what API Gateway and the data transfer bill). A share of page changes
 * is sent hidden (`url` and `title` both ""), as the extension does when the user chose not to share.
 */
import type { Random } from './random';

export interface Page {
  url: string;
  title: string;
}

const WORDS = [
  'presence', 'serverless', 'websocket', 'latency', 'history', 'garden', 'recipe', 'climate', 'election', 'football',
  'keyboard', 'typescript', 'kubernetes', 'postgres', 'valkey', 'battery', 'telescope', 'marathon', 'pricing', 'review',
  'tutorial', 'release', 'roadmap', 'interview', 'weather', 'museum', 'coffee', 'startup', 'bicycle', 'opera',
];

function words(random: Random, count: number): string[] {
  return Array.from({ length: count }, () => random.pick(WORDS));
}

function capitalised(list: string[]): string {
  return list.map((word) => word[0]!.toUpperCase() + word.slice(1)).join(' ');
}

function digits(random: Random, count: number): string {
  let text = String(1 + random.int(9));
  while (text.length < count) text += String(random.int(10));
  return text;
}

function token(random: Random, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[random.int(alphabet.length)];
  return text;
}

/** One generator per site: how its URLs and titles look. */
const SITES: Array<(random: Random) => Page> = [
  (r) => {
    const topic = capitalised(words(r, 2));
    return { url: `https://en.wikipedia.org/wiki/${topic.replace(/ /g, '_')}`, title: `${topic} - Wikipedia` };
  },
  (r) => {
    const repo = words(r, 2).join('-');
    return { url: `https://github.com/${r.pick(WORDS)}-labs/${repo}/pull/${digits(r, 4)}`, title: `Fix ${words(r, 3).join(' ')} by ${r.pick(WORDS)} · Pull Request #${digits(r, 4)} · ${r.pick(WORDS)}-labs/${repo}` };
  },
  (r) => {
    const slug = words(r, 6).join('-');
    return { url: `https://stackoverflow.com/questions/${digits(r, 8)}/${slug}`, title: `${capitalised(words(r, 6))} - Stack Overflow` };
  },
  (r) => ({ url: `https://www.youtube.com/watch?v=${token(r, 11)}`, title: `${capitalised(words(r, 5))} - YouTube` }),
  (r) => ({ url: `https://news.ycombinator.com/item?id=${digits(r, 8)}`, title: `${capitalised(words(r, 7))} | Hacker News` }),
  (r) => ({ url: `https://www.bbc.co.uk/news/articles/c${token(r, 10).toLowerCase()}o`, title: `${capitalised(words(r, 8))} - BBC News` }),
  (r) => {
    const slug = words(r, 7).join('-');
    return { url: `https://www.nytimes.com/2026/${digits(r, 2)}/${digits(r, 2)}/technology/${slug}.html`, title: `${capitalised(words(r, 9))} - The New York Times` };
  },
  (r) => ({ url: `https://www.reddit.com/r/${r.pick(WORDS)}/comments/${token(r, 7).toLowerCase()}/${words(r, 6).join('_')}/`, title: `${capitalised(words(r, 8))} : r/${r.pick(WORDS)}` }),
  (r) => ({ url: 'https://mail.google.com/mail/u/0/#inbox', title: `Inbox (${digits(r, 2)}) - ${r.pick(WORDS)}@gmail.com - Gmail` }),
  (r) => ({ url: `https://www.amazon.com/${capitalised(words(r, 4)).replace(/ /g, '-')}/dp/B0${token(r, 8).toUpperCase()}`, title: `Amazon.com: ${capitalised(words(r, 7))}` }),
  (r) => ({ url: `https://medium.com/@${r.pick(WORDS)}/${words(r, 6).join('-')}-${token(r, 12).toLowerCase()}`, title: `${capitalised(words(r, 7))} | by ${capitalised(words(r, 2))} | Medium` }),
  (r) => ({ url: `https://developer.mozilla.org/en-US/docs/Web/API/${capitalised(words(r, 2)).replace(/ /g, '')}`, title: `${capitalised(words(r, 2)).replace(/ /g, '')} - Web APIs | MDN` }),
  (r) => ({ url: `https://docs.aws.amazon.com/apigateway/latest/developerguide/${words(r, 4).join('-')}.html`, title: `${capitalised(words(r, 6))} - Amazon API Gateway` }),
  (r) => ({ url: `https://www.theguardian.com/world/2026/dec/${digits(r, 2)}/${words(r, 8).join('-')}`, title: `${capitalised(words(r, 10))} | World news | The Guardian` }),
  (r) => ({ url: `https://twitter.com/${r.pick(WORDS)}/status/${digits(r, 19)}`, title: `${capitalised(words(r, 2))} on X: "${words(r, 10).join(' ')}" / X` }),
  (r) => ({ url: `https://www.linkedin.com/feed/update/urn:li:activity:${digits(r, 19)}/`, title: `${capitalised(words(r, 8))} | LinkedIn` }),
  (r) => ({ url: `https://docs.google.com/document/d/${token(r, 44)}/edit`, title: `${capitalised(words(r, 4))} - Google Docs` }),
  (r) => ({ url: `https://www.figma.com/file/${token(r, 22)}/${capitalised(words(r, 3)).replace(/ /g, '-')}`, title: `${capitalised(words(r, 3))} – Figma` }),
];

/** Registrable domains of the pool (for sharing allow lists). */
export const POOL_DOMAINS = [
  'wikipedia.org', 'github.com', 'stackoverflow.com', 'youtube.com', 'ycombinator.com', 'bbc.co.uk', 'nytimes.com', 'reddit.com',
  'google.com', 'amazon.com', 'medium.com', 'mozilla.org', 'amazon.com', 'theguardian.com', 'twitter.com', 'linkedin.com', 'figma.com',
];

export const HIDDEN_PAGE: Page = { url: '', title: '' };

/** The next page a user visits: hidden with probability hiddenShare, else a page of a random site. */
export function nextPage(random: Random, hiddenShare: number): Page {
  if (random.chance(hiddenShare)) return HIDDEN_PAGE;
  return random.pick(SITES)(random);
}
