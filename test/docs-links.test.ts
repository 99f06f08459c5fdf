/**
 * The README and docs/ stand alone: every link to a file of the repository resolves, file paths
 * they quote exist, nothing points outside the repository, and the README stays a front page.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/process.js';

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(full);
    return e.name.endsWith('.md') ? [full] : [];
  });
}

const FILES = [path.join(ROOT, 'README.md'), ...markdownFiles(path.join(ROOT, 'docs'))];
const rel = (file: string) => path.relative(ROOT, file);

/** `[text](target)` links, without code blocks (a shell snippet is not a link). */
function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

/** Repository paths quoted in code spans: `src/…`, `docs/…`, `test/…` (no globs or placeholders). */
function quotedPaths(text: string): string[] {
  return [...text.matchAll(/`((?:src|test|docs|bench|drizzle|scripts)\/[\w./-]+)`/g)]
    .map((m) => m[1]!)
    .filter((p) => !/[*<>]/.test(p));
}

describe('README and docs', () => {
  it('find their markdown files', () => {
    expect(FILES.map(rel)).toEqual(
      expect.arrayContaining(['README.md', 'docs/configuration.md', 'docs/contracts/README.md']),
    );
  });

  it('link only to files that exist in the repository (or to the web)', () => {
    const broken: string[] = [];
    for (const file of FILES) {
      for (const target of links(fs.readFileSync(file, 'utf8'))) {
        if (/^(https?:|mailto:)/.test(target) || target.startsWith('#')) continue;
        const resolved = path.resolve(path.dirname(file), decodeURIComponent(target.split('#')[0]!));
        if (!resolved.startsWith(ROOT + path.sep) && resolved !== ROOT)
          broken.push(`${rel(file)}: ${target} leaves the repository`);
        else if (!fs.existsSync(resolved)) broken.push(`${rel(file)}: ${target} does not exist`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('quote only paths that exist', () => {
    const missing = FILES.flatMap((file) =>
      quotedPaths(fs.readFileSync(file, 'utf8'))
        .filter((p) => !fs.existsSync(path.join(ROOT, p)))
        .map((p) => `${rel(file)}: ${p}`),
    );
    expect(missing).toEqual([]);
  });

  it('refer to nothing outside the repository (no spec sections, no shared files)', () => {
    const outside = FILES.flatMap((file) =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => /SPEC\b|§\s?\d|\.\.\/shared|\/work\//.test(line))
        .map((line) => `${rel(file)}: ${line.trim()}`),
    );
    expect(outside).toEqual([]);
  });

  it('keep the README a front page (under 150 lines)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThan(150);
  });

  it('code comments point at the docs, not at sections of a spec outside the repository', () => {
    const sources = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return sources(full);
        return e.name.endsWith('.ts') ? [full] : [];
      });
    const cited = sources(path.join(ROOT, 'src')).filter((f) =>
      /SPEC\s*§|SPEC\.md/.test(fs.readFileSync(f, 'utf8')),
    );
    expect(cited.map(rel)).toEqual([]);
  });
});
