/** A script call encoded once (layers/core/redis/script-call.ts) sends exactly what ioredis's own Command would. */
import { Command } from 'ioredis';
import { LuaScript, ScriptCall } from '../../layers/core/redis/script-call';

const script = new LuaScript("return redis.call('ZSCORE', KEYS[1], ARGV[1])");
/** Keys of two slots, an empty string, numbers, and text of 1-, 2-, 3- and 4-byte UTF-8 characters. */
const args = ['p:{3}:status', 'p:{3}:conn:ünï', 'ünïcödé 日本 🙂', '', 0, 1796239699023, -1.5, 'a\r\nb'];

function ioredisEncoding(name: string, first: string, numKeys: number, rest: (string | number)[]): string | Buffer {
  return new Command(name, [first, numKeys, ...rest]).toWritable({});
}

describe('ScriptCall', () => {
  it('encodes EVALSHA byte for byte as ioredis does', () => {
    const call = new ScriptCall(script, 2, args);
    expect(call.name).toBe('evalsha');
    expect(call.toWritable()).toBe(ioredisEncoding('evalsha', script.sha, 2, args));
  });

  it('encodes EVAL (the script body itself) byte for byte as ioredis does', () => {
    const call = new ScriptCall(script, 2, args, true);
    expect(call.name).toBe('eval');
    expect(call.toWritable()).toBe(ioredisEncoding('eval', script.lua, 2, args));
  });

  it('encodes a call without keys or arguments', () => {
    expect(new ScriptCall(script, 0, []).toWritable()).toBe(ioredisEncoding('evalsha', script.sha, 0, []));
  });

  it('routes by its first key on a cluster, as ioredis would', () => {
    const call = new ScriptCall(script, 2, args);
    const reference = new Command('evalsha', [script.sha, 2, ...args]);
    expect(call.getKeys()).toEqual(['p:{3}:status', 'p:{3}:conn:ünï']);
    expect(call.getSlot()).toBe(reference.getSlot());
    expect(new ScriptCall(script, 0, ['x']).getSlot()).toBeNull();
  });
});
