/** Stops the embedded cluster that global-setup started, if it started one. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.authDbTestCluster?.destroy();
}
