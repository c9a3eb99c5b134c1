import { WindowCoalescer, type Coalesced } from "../../src/security/window-coalescer.js";

const WINDOW_MS = 60_000;

/** A coalescer on a clock the test moves. */
function collector(options: { maxKeys?: number } = {}) {
  const written: Array<Coalesced<string>> = [];
  let overflow = 0;
  let now = Date.parse("2026-01-01T00:00:00Z");
  const coalescer = new WindowCoalescer<string>(
    { windowMs: WINDOW_MS, maxKeys: options.maxKeys ?? 100, clock: () => now },
    (records) => void written.push(...records),
    () => overflow++,
  );
  const advance = (ms: number) => {
    now += ms;
  };
  return { coalescer, written, advance, overflow: () => overflow };
}

test("occurrences of a key within its window are written once, with the first value and the count", async () => {
  const { coalescer, written } = collector();
  for (let i = 0; i < 300; i++) coalescer.add("caller|createRole|127.0.0.1", `attempt ${i}`);
  coalescer.add("caller|deleteRole|127.0.0.1", "other");
  expect(written).toEqual([]);
  await coalescer.stop();
  expect(written.map(({ first, count }) => ({ first, count }))).toEqual([
    { first: "attempt 0", count: 300 },
    { first: "other", count: 1 },
  ]);
  expect(written[0]!.lastAt.getTime()).toBeGreaterThanOrEqual(written[0]!.firstAt.getTime());
});

test("a window that is over is written by flush, an open one is kept", async () => {
  const { coalescer, written, advance } = collector();
  try {
    coalescer.add("old", "old");
    advance(WINDOW_MS - 1);
    coalescer.add("old", "old again");
    coalescer.add("new", "new");
    advance(1);
    await coalescer.flush();
    expect(written.map(({ first, count }) => ({ first, count }))).toEqual([{ first: "old", count: 2 }]);
  } finally {
    await coalescer.stop();
  }
});

test("a key seen again after its window was written opens a new window", async () => {
  const { coalescer, written, advance } = collector();
  try {
    coalescer.add("key", "first window");
    advance(WINDOW_MS);
    await coalescer.flush();
    coalescer.add("key", "second window");
    await coalescer.flush(true);
    expect(written.map(({ first, count }) => ({ first, count }))).toEqual([
      { first: "first window", count: 1 },
      { first: "second window", count: 1 },
    ]);
  } finally {
    await coalescer.stop();
  }
});

test("keys beyond maxKeys are not held: each of their occurrences is counted as overflow", async () => {
  const { coalescer, written, overflow } = collector({ maxKeys: 3 });
  for (let key = 0; key < 10; key++) for (let repeat = 0; repeat < 5; repeat++) coalescer.add(`key ${key}`, `value ${key}`);
  await coalescer.stop();
  expect(written.map(({ first, count }) => ({ first, count }))).toEqual([
    { first: "value 0", count: 5 },
    { first: "value 1", count: 5 },
    { first: "value 2", count: 5 },
  ]);
  expect(overflow()).toBe(35);
});

test("one group holds at most maxKeysPerGroup keys: its further keys overflow, other groups keep their room", async () => {
  const written: Array<Coalesced<string>> = [];
  let overflow = 0;
  const coalescer = new WindowCoalescer<string>({ windowMs: WINDOW_MS, maxKeys: 5, maxKeysPerGroup: 2 }, (records) => void written.push(...records), () => overflow++);
  for (let key = 0; key < 10; key++) coalescer.add(`attacker ${key}`, `attacker ${key}`, "203.0.113.7");
  coalescer.add("victim", "victim", "198.51.100.1");
  await coalescer.stop();
  expect(written.map(({ first }) => first)).toEqual(["attacker 0", "attacker 1", "victim"]);
  expect(overflow).toBe(8);
});

test("repeated occurrences are merged into the held value when a merge is given", async () => {
  const written: Array<Coalesced<string[]>> = [];
  const coalescer = new WindowCoalescer<string[]>(
    { windowMs: WINDOW_MS, maxKeys: 5 },
    (records) => void written.push(...records),
    () => undefined,
    (held, next) => held.push(...next),
  );
  coalescer.add("key", ["a"]);
  coalescer.add("key", ["b"]);
  await coalescer.stop();
  expect(written.map(({ first, count }) => ({ first, count }))).toEqual([{ first: ["a", "b"], count: 2 }]);
});
