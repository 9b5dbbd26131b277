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
 * The credentials the environment holds, read as the SDK's first provider (fromEnv) reads them:
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, with AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION
 * when set. Undefined when either key is missing, or when AWS_PROFILE names a profile (the SDK's
 * default chain then skips the environment).
 */
export function environmentCredentials(env: Record<string, string | undefined> = process.env): Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey || env.AWS_PROFILE) return undefined;
  const expiration = env.AWS_CREDENTIAL_EXPIRATION;
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    ...(expiration ? { expiration: new Date(expiration) } : {}),
  };
}

/** The SDK's whole default chain (shared config and SSO, process, web identity, ECS and IMDS): about 30 ms to load. */
async function loadDefaultChain(): Promise<CredentialProvider> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider();
}

/**
 * The SDK's default chain, in its order, loading its modules only when the environment holds no
 * credentials: in Lambda they are always there, so a function never loads the chain; elsewhere
 * (a laptop, a container) it is loaded on the first call and kept.
 */
export function defaultCredentialProvider(
  env: Record<string, string | undefined> = process.env,
  loadChain: () => Promise<CredentialProvider> = loadDefaultChain,
): CredentialProvider {
  let chain: Promise<CredentialProvider> | undefined;
  return async () => {
    const fromEnvironment = environmentCredentials(env);
    if (fromEnvironment) return fromEnvironment;
    chain ??= loadChain().catch((error: unknown) => {
      chain = undefined;
      throw error;
    });
    return (await chain)();
  };
}

/**
 * The function's AWS credentials, resolved once by the default provider (above) and kept until
 * 5 minutes before they expire. `current()` answers synchronously while they are fresh, so a post
 * costs no promise for them; a refresh is shared by every caller that needs it meanwhile, and a
 * failed one is retried by the next.
 */
export class CredentialCache {
  private credentials: Credentials | undefined;
  private refreshing: Promise<Credentials> | undefined;

  constructor(
    private readonly provider: CredentialProvider = defaultCredentialProvider(),
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
