/**
 * EVAL, EVALSHA and SCRIPT on Lua 5.4 compiled to WebAssembly (wasmoon). Redis embeds Lua 5.1; the
 * presence scripts use nothing where the two differ. Scripts are cached by the SHA1 of their body, as in
 * Redis, so ioredis's EVALSHA-then-EVAL-on-NOSCRIPT dance works unchanged.
 *
 * Everything here is synchronous: wasmoon calls Lua and the JavaScript dispatcher synchronously, so a
 * script runs to completion before any other command is read.
 */
import { createHash } from 'node:crypto';
import { LuaFactory, type LuaEngine } from 'wasmoon';
import { BRIDGE } from './lua-bridge';
import { RawReply, encodeReply, type Reply } from './resp';
import { CommandError } from './store';

type Dispatch = (argv: string[]) => Reply;

export class LuaScripting {
  private constructor(
    private readonly engine: LuaEngine,
    private readonly run: (sha: string, numkeys: number, ...args: string[]) => string,
    private readonly loadFn: (sha: string, body: string) => string | null | undefined,
    private readonly existsFn: (sha: string) => boolean,
    private readonly flushFn: () => void,
  ) {}

  /** dispatch runs one command from inside a script (redis.call / redis.pcall). */
  static async create(dispatch: Dispatch): Promise<LuaScripting> {
    // No proxies or injected JS objects: scripts see plain Lua, and values cross only as strings.
    const engine = await new LuaFactory().createEngine({ injectObjects: false, enableProxy: false });
    engine.global.set('__redis_call', (...argv: unknown[]) => encodeReply(dispatch(argv.map(String))));
    // A script's keys and arguments are fetched by Lua one at a time (__arg) instead of passed in one call:
    // wasmoon pushes call arguments onto the Lua stack without growing it, which corrupts memory past
    // about twenty of them (a fan-out's read of forty friends has eighty).
    let scriptArgs: readonly string[] = [];
    engine.global.set('__arg', (i: number) => scriptArgs[i - 1]);
    engine.doStringSync(BRIDGE);
    const get = <T>(name: string) => engine.global.get(name) as T;
    const runLoaded = get<(sha: string, numkeys: number, count: number) => string>('__run');
    const run = (sha: string, numkeys: number, ...args: string[]): string => {
      scriptArgs = args;
      try {
        return runLoaded(sha, numkeys, args.length);
      } finally {
        scriptArgs = [];
      }
    };
    return new LuaScripting(engine, run, get('__load'), get('__exists'), get('__flush'));
  }

  static sha1(body: string): string {
    return createHash('sha1').update(body).digest('hex');
  }

  load(body: string): string {
    const sha = LuaScripting.sha1(body);
    if (this.existsFn(sha)) return sha;
    const message = this.loadFn(sha, body);
    if (message) throw new CommandError(`ERR Error compiling script (new function): ${message}`);
    return sha;
  }

  exists(sha: string): boolean {
    return this.existsFn(sha.toLowerCase());
  }

  flush(): void {
    this.flushFn();
  }

  /** EVALSHA: sha, numkeys, keys and args as the client sent them. */
  evalsha(sha: string, numkeysText: string, rest: string[]): Reply {
    if (!/^-?\d+$/.test(numkeysText)) throw new CommandError('ERR value is not an integer or out of range');
    const numkeys = Number(numkeysText);
    if (numkeys < 0) throw new CommandError("ERR Number of keys can't be negative");
    if (numkeys > rest.length) throw new CommandError("ERR Number of keys can't be greater than number of args");
    return new RawReply(this.run(sha.toLowerCase(), numkeys, ...rest));
  }

  eval(body: string, numkeysText: string, rest: string[]): Reply {
    return this.evalsha(this.load(body), numkeysText, rest);
  }

  close(): void {
    this.engine.global.close();
  }
}
