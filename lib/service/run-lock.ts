/** Serialises work on one run within this process (used where no tier can arbitrate versions for us). */
const tails = new Map<string, Promise<unknown>>();

export async function withRunLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(name) ?? Promise.resolve();
  const current = previous.catch(() => {}).then(work);
  tails.set(name, current);
  try {
    return await current;
  } finally {
    if (tails.get(name) === current) tails.delete(name);
  }
}
