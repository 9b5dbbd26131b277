import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import type { RedisClient } from './client';
import { isNoScript } from './failures';

export type ScriptArg = string | number;

function bulkString(value: string): string {
  return `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
}

/** A Lua script with its SHA1, and the fixed start of its EVALSHA command encoded once. */
export class LuaScript {
  readonly sha: string;
  /** `$7 evalsha $40 <sha>` in RESP: every EVALSHA of this script starts with it. */
  readonly evalshaHead: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
    this.evalshaHead = bulkString('evalsha') + bulkString(this.sha);
  }
}

/** Replies as strings, as ioredis's own command methods (not their *Buffer twins) return them. */
const STRING_REPLIES = { replyEncoding: 'utf8' } as const;

/**
 * One call of a Lua script, encoded into its RESP text once, when it is made.
 *
 * Why not ioredis's `defineCommand`: its Script and Command classes walk the arguments four times
 * (spread, flatten, stringify, encode) and wrap the promise twice; measured with callgrind, that is
 * 16,500 of the 40,000 client instructions of a heartbeat's EVALSHA at 16 in flight
 * (docs/PERFORMANCE.md). This is still an ioredis Command, sent with `sendCommand`, so ioredis keeps
 * doing the rest: the command timeout, the offline queue, retries across a reconnect, reply parsing,
 * and on a cluster the routing by the first key's slot (`getKeys`) and MOVED/ASK redirections
 * (which resend the same text). The client's `keyPrefix` option is not applied (we set none:
 * KeySpace prefixes every key).
 */
export class ScriptCall extends Command {
  private readonly encoded: string;

  constructor(
    script: LuaScript,
    private readonly numKeys: number,
    private readonly scriptArgs: readonly ScriptArg[],
    asEval = false,
  ) {
    super(asEval ? 'eval' : 'evalsha', [], STRING_REPLIES);
    // EVAL is the rare resend after NOSCRIPT: its head (the whole script) is not kept.
    const head = asEval ? bulkString('eval') + bulkString(script.lua) : script.evalshaHead;
    let encoded = `*${scriptArgs.length + 3}\r\n${head}${bulkString(String(numKeys))}`;
    for (const arg of scriptArgs) encoded += bulkString(typeof arg === 'string' ? arg : String(arg));
    this.encoded = encoded;
  }

  override toWritable(): string {
    return this.encoded;
  }

  /** The keys a cluster routes by (ioredis's own lookup reads them from the arguments, which this call does not keep). */
  override getKeys(): string[] {
    return this.scriptArgs.slice(0, this.numKeys).map(String);
  }
}

/**
 * Runs a script by its SHA1; a Redis that does not know it (restarted, failed over, SCRIPT FLUSH)
 * answers NOSCRIPT, and the call is sent once more as EVAL, which also caches the script there.
 */
export function runScript(redis: RedisClient, script: LuaScript, numKeys: number, args: readonly ScriptArg[]): Promise<unknown> {
  const call = new ScriptCall(script, numKeys, args);
  void redis.sendCommand(call);
  return call.promise.catch((error: unknown) => {
    if (!isNoScript(error)) throw error;
    const retry = new ScriptCall(script, numKeys, args, true);
    void redis.sendCommand(retry);
    return retry.promise;
  });
}
