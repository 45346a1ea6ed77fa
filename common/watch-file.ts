// Calls back when a file changes, debounced. Watches the directory, not the file: editors and `kubectl cp`
// replace files by renaming over them, which a watch on the file itself would miss.
import * as fs from 'node:fs';
import * as path from 'node:path';

const DEBOUNCE_MS = 50;

export interface FileWatch {
  close(): void;
}

export function watchFile(file: string, onChange: () => void): FileWatch {
  let timer: NodeJS.Timeout | undefined;
  const watcher = fs.watch(path.dirname(file), (_event, name) => {
    if (name !== null && name !== path.basename(file)) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, DEBOUNCE_MS);
  });
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
