// Test output shows warnings and errors only, unless LOG_LEVEL says otherwise.
process.env.LOG_LEVEL ??= "warn";

// Jest 29 runs tests in a VM realm that lacks Promise.withResolvers, which
// Node 24 (and PostGraphile, which calls it) has. Give that realm the same.
Promise.withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
