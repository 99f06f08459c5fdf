import fs from 'node:fs';
import path from 'node:path';

/**
 * The secret kept in `file`, made by `make` and written (mode 600) when there is none yet, so
 * that it outlives a restart. Two processes starting at once agree: the second uses the first's.
 */
export function keptSecret(file: string, make: () => string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const secret = make();
  try {
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return keptSecret(file, make);
    throw err;
  }
}
