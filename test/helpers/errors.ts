// The error a call must fail with, checked by its class and handed back so the
// test can assert on its message and fields.
import { expect } from 'vitest';

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** The error `fn` throws, which must be an `E`; a test fails when `fn` returns. */
export function thrown<E extends Error>(type: ErrorClass<E>, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return err as E;
  }
  throw new Error(`expected a ${type.name}`);
}

/** The error `p` rejects with, which must be an `E`; a test fails when `p` resolves. */
export async function rejected<E extends Error>(type: ErrorClass<E>, p: Promise<unknown>): Promise<E> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}
