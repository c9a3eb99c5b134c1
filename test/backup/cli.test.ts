import { runCommand } from "../helpers/cli.js";

test.each([
  ["backup", ["--retention", "7"], "Unknown option '--retention'"],
  ["backup", ["--retention-days", "soon"], '--retention-days: expected a whole number of days, 1 or more, got "soon"'],
  ["backup", ["--retention-days", "0"], '--retention-days: expected a whole number of days, 1 or more, got "0"'],
  ["backup", ["somewhere"], "Unexpected argument 'somewhere'"],
  ["restore", [], "expected one backup directory\nusage: npm run restore -- <backup directory>"],
  ["restore", ["a", "b"], "expected one backup directory"],
  ["restore", ["--force", "a"], "Unknown option '--force'"],
])("%s %j is refused: %s", async (command, args, message) => {
  const result = await runCommand(command, args);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(message);
});

test("a bad BACKUP_RETENTION_DAYS is refused naming the variable", async () => {
  const result = await runCommand("backup", [], { BACKUP_RETENTION_DAYS: "a month" });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('BACKUP_RETENTION_DAYS: expected a whole number of days, 1 or more, got "a month"');
});
