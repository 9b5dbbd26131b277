import { defaultProvider } from '@aws-sdk/credential-provider-node';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type CredentialProvider = () => Promise<Credentials>;

/** The SDK's margin: credentials that expire within 5 minutes are treated as expired. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * The function's AWS credentials, resolved once by the SDK's default chain
 * (environment in Lambda; environment, shared config/SSO, process, web
 * identity, ECS/IMDS on a laptop or elsewhere) and kept until 5 minutes
 * before they expire. `current()` answers synchronously while they are
 * fresh, so a post costs no promise for them; a refresh is shared by every
 * caller that needs it meanwhile, and a failed one is retried by the next.
 */
export class CredentialCache {
  private credentials: Credentials | undefined;
  private refreshing: Promise<Credentials> | undefined;

  constructor(
    private readonly provider: CredentialProvider = defaultProvider(),
    private readonly clock: () => number = Date.now,
    private readonly refreshBeforeMs = REFRESH_BEFORE_EXPIRY_MS,
  ) {}

  /** The cached credentials while fresh, else undefined (call `get`). */
  current(): Credentials | undefined {
    const credentials = this.credentials;
    if (credentials && (credentials.expiration === undefined || credentials.expiration.getTime() - this.clock() > this.refreshBeforeMs)) {
      return credentials;
    }
    return undefined;
  }

  get(): Promise<Credentials> {
    const fresh = this.current();
    if (fresh) return Promise.resolve(fresh);
    this.refreshing ??= this.provider().then(
      (credentials) => {
        this.credentials = credentials;
        this.refreshing = undefined;
        return credentials;
      },
      (error: unknown) => {
        this.refreshing = undefined;
        throw error;
      },
    );
    return this.refreshing;
  }
}
