import { getDomain, getHostname } from 'tldts';
import { HIDDEN_PAGE, type Page, type SharingSettings } from './model';

/** Users we know nothing about share nothing: private by default. */
export const SHARE_NOTHING: SharingSettings = { shareMode: 'default_none', domainAllow: [], domainDeny: [] };

interface ParsedUrl {
  hostname: string;
  domain: string;
}

function parseWebUrl(url: string): ParsedUrl | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  const hostname = getHostname(parsed.hostname) ?? parsed.hostname.toLowerCase();
  if (!hostname) return null;
  return { hostname, domain: getDomain(hostname, { allowPrivateDomains: true }) ?? hostname };
}

/** The registrable domain (public-suffix aware), or "" for empty or unparsable urls. */
export function domainOf(url: string): string {
  return url ? (parseWebUrl(url)?.domain ?? '') : '';
}

/** Users type list entries as "bbc.co.uk", "www.bbc.co.uk" or even "https://bbc.co.uk/"; compare hosts. */
function normalizeEntry(entry: string): string {
  let value = entry.trim().toLowerCase();
  if (value.includes('://')) value = parseWebUrl(value)?.hostname ?? value;
  return value
    .replace(/^\*\./, '')
    .replace(/^www\./, '')
    .replace(/\.$/, '');
}

function listMatches(list: readonly string[], target: ParsedUrl): boolean {
  return list.some((raw) => {
    const entry = normalizeEntry(raw);
    if (!entry) return false;
    return entry === target.domain || entry === target.hostname || target.hostname.endsWith(`.${entry}`);
  });
}

export function isShared(settings: SharingSettings, url: string): boolean {
  const target = parseWebUrl(url);
  if (!target) return false;
  return settings.shareMode === 'default_all' ? !listMatches(settings.domainDeny, target) : listMatches(settings.domainAllow, target);
}

/** Applies the user's sharing rule: a page they do not share is kept and sent as an empty page. */
export function visiblePage(settings: SharingSettings, url: string, title: string): Page {
  if (!url || !isShared(settings, url)) return HIDDEN_PAGE;
  return { url, title, domain: domainOf(url) };
}
