/** Things to stop, undone last-first, once, whether the bench ends, fails or is interrupted. */
export class Cleanup {
  private readonly steps: Array<{ what: string; undo: () => Promise<void> }> = [];
  private running: Promise<void> | undefined;

  add(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        await step.undo().catch((error: unknown) => console.error(`cleanup: ${step.what}: ${(error as Error).message}`));
      }
    })();
    return this.running;
  }
}
