import { restartDelayMs } from "../../src/cluster/restart-backoff.js";

test("a worker that keeps crashing waits twice as long each time, from 0.5 s up to 30 s", () => {
  expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(restartDelayMs)).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
});
