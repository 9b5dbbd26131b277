import { BadRequestError } from './errors';
import type { PresenceConfig } from './config';

export interface PageUpdate {
  url: string;
  title: string;
}

/** Parses a WebSocket frame body: must be a JSON object. */
export function parseFrame(body: string | null | undefined): Record<string, unknown> {
  if (!body) throw new BadRequestError('Empty message; send a JSON object with an "action"');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequestError('Message is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError('Message must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Validates an update-presence frame. The legacy `jwt` field and any other
 * extra field are ignored: identity comes from the connection. Over-long
 * titles are cut (nothing is lost that a friend could use); over-long urls are
 * refused because a cut url points somewhere else.
 */
export function parsePageUpdate(
  body: string | null | undefined,
  limits: Pick<PresenceConfig, 'maxUrlLength' | 'maxTitleLength'>,
): PageUpdate {
  const frame = parseFrame(body);
  const { url, title } = frame;
  if (typeof url !== 'string') throw new BadRequestError('"url" must be a string ("" when the page is hidden)');
  if (title !== undefined && typeof title !== 'string') throw new BadRequestError('"title" must be a string');
  if (url.length > limits.maxUrlLength) {
    throw new BadRequestError(`"url" is longer than ${limits.maxUrlLength} characters`);
  }
  const cleanTitle = stripControlCharacters(title ?? '');
  return {
    url: url.trim(),
    title: cleanTitle.length > limits.maxTitleLength ? cleanTitle.slice(0, limits.maxTitleLength) : cleanTitle,
  };
}

function stripControlCharacters(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ');
}
