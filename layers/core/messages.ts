import type { Page } from './model';

/** Frames pushed to clients, exactly as CONTRACT.md describes them. */
export interface UpdatePresenceMessage {
  type: 'update-presence';
  userId: string;
  url: string;
  title: string;
  domain: string;
  latestUrl: string;
  latestTitle: string;
  latestDomain: string;
}

export interface PresenceTimeoutMessage {
  type: 'presence-timeout';
  userId: string;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

export type ServerMessage = UpdatePresenceMessage | PresenceTimeoutMessage | ErrorMessage;

export function updatePresenceMessage(userId: string, page: Page, latest: Page): UpdatePresenceMessage {
  return {
    type: 'update-presence',
    userId,
    url: page.url,
    title: page.title,
    domain: page.domain,
    latestUrl: latest.url,
    latestTitle: latest.title,
    latestDomain: latest.domain,
  };
}

export function presenceTimeoutMessage(userId: string): PresenceTimeoutMessage {
  return { type: 'presence-timeout', userId };
}

export function errorMessage(message: string): ErrorMessage {
  return { type: 'error', message };
}
