/** The container's clients (layers/core/runtime/container.ts): made once, on first use, and all closed by closeContainer(). */
import { closeContainer, containerScoped } from '../../layers/core/runtime/container';

describe('container-scoped clients', () => {
  afterEach(() => closeContainer());

  it('makes a client on first use only, once, and closes it once', async () => {
    let made = 0;
    const create = jest.fn(() => ({ id: ++made }));
    const close = jest.fn(async () => undefined);
    const client = containerScoped(create, close);
    expect(create).not.toHaveBeenCalled();
    expect(client()).toBe(client());
    expect(create).toHaveBeenCalledTimes(1);

    await closeContainer();
    await closeContainer();
    expect(close).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledWith({ id: 1 });
  });

  it('makes a new client after closing, and closes that one too', async () => {
    let made = 0;
    const closed: number[] = [];
    const client = containerScoped(
      () => ++made,
      async (value) => closed.push(value),
    );
    expect(client()).toBe(1);
    await closeContainer();
    expect(client()).toBe(2);
    await closeContainer();
    expect(closed).toEqual([1, 2]);
  });

  it('closes every client even when closing one fails, at once or later', async () => {
    const closed: string[] = [];
    const throwsAtOnce = containerScoped(
      () => 'a',
      () => {
        throw new Error('gone');
      },
    );
    const rejects = containerScoped(
      () => 'b',
      () => Promise.reject(new Error('gone')),
    );
    const fine = containerScoped(
      () => 'c',
      async (value) => closed.push(value),
    );
    [throwsAtOnce(), rejects(), fine()].forEach((value) => expect(value).toMatch(/^[abc]$/));
    await expect(closeContainer()).resolves.toBeUndefined();
    expect(closed).toEqual(['c']);
  });
});
