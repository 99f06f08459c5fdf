/**
 * The Node versions the project admits (`engines.node`) and those of every package it installs
 * agree: `npm install` on the oldest Node the README names prints no EBADENGINE.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/process.js';

const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

describe('Node versions', () => {
  it('every locked package supports the oldest Node the project admits, and the one running the tests', () => {
    const project = read('package.json').engines.node as string;
    const oldest = semver.minVersion(project)!.version;
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(
      `Node.js ≥ ${oldest.replace(/\.0$/, '')}`,
    );
    const lock = read('package-lock.json') as {
      packages: Record<
        string,
        { version?: string; engines?: { node?: string } | string[]; optional?: boolean }
      >;
    };
    const refusing = Object.entries(lock.packages)
      .filter(([name, p]) => name !== '' && !p.optional)
      .flatMap(([name, p]) => {
        const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
        if (!range) return [];
        return [oldest, process.versions.node]
          .filter((v) => !semver.satisfies(v, range))
          .map((v) => `${name.replace(/^.*node_modules\//, '')}@${p.version} wants node ${range}, not ${v}`);
      });
    expect(refusing).toEqual([]);
  });
});
