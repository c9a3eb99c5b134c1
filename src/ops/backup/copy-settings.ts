/**
 * Session settings under which COPY's text format reads back exactly what it
 * wrote, whatever the server's defaults (as pg_dump sets them): ISO dates,
 * UTC, every float digit. Run inside the transaction (`set local`).
 */
export const COPY_SETTINGS = [
  "set local datestyle = 'ISO, YMD'",
  "set local intervalstyle = 'postgres'",
  "set local timezone = 'UTC'",
  "set local extra_float_digits = 3",
].join("; ");
