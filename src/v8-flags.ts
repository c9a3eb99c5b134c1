import v8 from "node:v8";

/*
 * V8 settings of the serving processes, each measured under load: with
 * --trace-gc-nvp on one auth-db process at 32 connections, and in same-run
 * A/B runs of the benchmark.
 *
 * Allocation-site pretenuring off. V8 pretenures a site (allocates its
 * objects straight into the old generation) once most of them outlive a
 * young-generation collection. Under load, sites that build a request's
 * objects qualified, and a young collection treats every old object as
 * live, so the young objects that a dead pretenured one points at were kept
 * and promoted too. With it, `{ __typename }` requests promoted 12 % of what
 * they allocated and young collections paused 17 ms (median); without it,
 * 0.7 % and 2 ms. The two permission checks served 5–7 % more requests per
 * second without it.
 *
 * A full collection once the old generation has grown by half. By default a
 * busy process lets it grow to several times what the last full collection
 * kept: with little promoted, a worker's RSS rose steadily for over a
 * minute between collections (+12 to +23 % in the 60 s soak). Growing by
 * half at most, the soak's RSS stayed flat (+0.0 %), and the batch check
 * served 12 % more requests per second with a lower p99 (155 against
 * 199 ms).
 *
 * Entry points that serve requests import this module first, before any
 * request has been served.
 */
v8.setFlagsFromString("--no-allocation-site-pretenuring");
v8.setFlagsFromString("--heap-growing-percent=50");
