// Calls back when a file changes, debounced. Watches the directory, not the file: editors and `kubectl cp`
// replace files by renaming over them, and a mounted Secret or ConfigMap changes by swapping its `..data`
// symlink, which a watch on the file itself would miss.
import * as fs from 'node:fs';
import * as path from 'node:path';

const DEBOUNCE_MS = 50;

export interface FileWatch {
  close(): void;
}

export function watchFile(file: string, onChange: () => void): FileWatch {
  return watchFiles(path.dirname(file), [path.basename(file)], onChange);
}

/** Calls back when any of `names` in `dir` changes (include `..data` to follow a mounted Secret's update). */
export function watchFiles(dir: string, names: readonly string[], onChange: () => void): FileWatch {
  let timer: NodeJS.Timeout | undefined;
  const watched = new Set(names);
  const watcher = fs.watch(dir, (_event, name) => {
    if (name !== null && !watched.has(name)) return;
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
