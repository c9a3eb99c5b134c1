/*
 * Grafast reads GRAPHILE_ENV once, when it is first imported: development
 * turns on its extra checks and readable errors. Entry points import this
 * module before anything that loads PostGraphile.
 */
process.env.GRAPHILE_ENV ??= process.env.NODE_ENV === "production" ? "production" : "development";
