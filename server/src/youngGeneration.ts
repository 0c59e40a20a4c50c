import * as v8 from 'v8';

/**
 * Keeps V8's young generation at its starting size (two 1 MiB semi-spaces). Under a burst of
 * allocation, such as opening a directory of files, V8 grows it to 32 MiB and keeps it for the
 * life of the process, about a third of what the server holds at rest. The analysis allocates
 * mostly short-lived objects of one edit, so more frequent scavenges cost it little (measured in
 * docs/performance.md). The command-line flag would do the same but needs every client to pass
 * it; this works however the server was started.
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
