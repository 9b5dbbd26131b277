import type { Config } from '../config';
import type { ConnectionGateway } from '../ports/connection-gateway';
import type { FriendDirectory } from '../ports/friend-directory';
import type { PresenceStore } from '../ports/presence-store';
import { PresenceService } from '../presence-service';
import { TimeoutSweeper } from '../timeout-sweeper';

/** What a function hands the core: the store always, the directory and the gateway when it uses them. */
interface CoreParts {
  store: PresenceStore;
  directory?: FriendDirectory;
  gateway?: ConnectionGateway;
}

/** A bug, never an outage: the function calls a port it was built without (answered 500 and logged as failed). */
class PartNotWiredError extends Error {
  constructor(part: string) {
    super(`this function was built without ${part}`);
    this.name = 'PartNotWiredError';
  }
}

const refuse = (part: string) => () => Promise.reject(new PartNotWiredError(part));

/** Stand-ins for the ports a function never calls, so it never loads their clients. */
const NO_DIRECTORY: FriendDirectory = {
  userContext: refuse('the friend directory (PostgreSQL)'),
  friendsOfMany: refuse('the friend directory (PostgreSQL)'),
  profilesWithFriends: refuse('the friend directory (PostgreSQL)'),
};
const NO_GATEWAY: ConnectionGateway = {
  post: refuse('the @connections client'),
  close: refuse('the @connections client'),
};

function coreDeps(config: Config, parts: CoreParts) {
  return {
    store: parts.store,
    directory: parts.directory ?? NO_DIRECTORY,
    gateway: parts.gateway ?? NO_GATEWAY,
    settings: config.presence,
  };
}

/** The presence rules over the parts this function uses. */
export function presenceService(config: Config, parts: CoreParts): PresenceService {
  return new PresenceService(coreDeps(config, parts));
}

/** The timeout sweep (it uses every part: friends are read and told). */
export function timeoutSweeper(config: Config, parts: CoreParts): TimeoutSweeper {
  return new TimeoutSweeper(coreDeps(config, parts));
}
