import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The repository stands alone: on a clone with nothing beside it, tests pass and every reference
 * resolves. No tracked file may point outside it: a relative path climbing above the root, an
 * absolute path into a workspace, or a document that is not in the repository (a design brief, a
 * design card, a style guide). What those said lives in docs/ (metric definitions in
 * docs/engagement.md, the stand-ins in docs/architecture.md).
 */
const root = join(__dirname, '../..');
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  // This file spells out what it looks for; the lock file lists registry paths.
  .filter((file) => file && file !== 'package-lock.json' && file !== 'test/architecture/self-contained.test.ts')
  .filter((file) => !/\.(png|jpe?g|gif|ico|pdf|woff2?)$/.test(file));

const outsideDocuments = [
  new RegExp(['DESIGN', '\\.md'].join(''), 'i'),
  new RegExp(['design', ' (card|brief|doc)\\b'].join(''), 'i'),
  new RegExp(['\\bthe ', 'brief\\b'].join(''), 'i'),
  new RegExp(['style', ' guide\\b'].join(''), 'i'),
  new RegExp(['(^|[^\\w/])', 'shared/', '(fixtures|brief)'].join('')),
  new RegExp(['(^|[\\s\'"`(])', '/work/'].join('')),
];

/** Relative paths in a file's text that climb above the repository's root, resolved from the file's folder. */
function escapingPaths(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\.\.\/)+[\w.@-]*/g)) {
    const resolved = normalize(join(dirname(file), match[0]));
    if (resolved.startsWith('..')) found.push(match[0]);
  }
  return found;
}

describe('the repository is self-contained', () => {
  it('has tracked files to check', () => {
    expect(tracked.length).toBeGreaterThan(100);
  });

  it('names no document outside it (brief, design card, style guide, workspace paths)', () => {
    const violations = tracked.flatMap((file) => {
      const lines = readFileSync(join(root, file), 'utf8').split('\n');
      return lines.flatMap((line, i) => (outsideDocuments.some((re) => re.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    });
    expect(violations).toEqual([]);
  });

  it('has no relative path that climbs out of it', () => {
    const violations = tracked.flatMap((file) =>
      escapingPaths(file, readFileSync(join(root, file), 'utf8')).map((path) => `${file}: ${path}`),
    );
    expect(violations).toEqual([]);
  });

  it('catches what it is meant to catch', () => {
    expect(escapingPaths('test/unit/x.test.ts', "join(__dirname, '../../../common/fixtures')")).toHaveLength(1);
    expect(escapingPaths('test/unit/x.test.ts', "join(__dirname, '../fixtures/ses-eventbridge')")).toEqual([]);
    expect(outsideDocuments.some((re) => re.test(`see ${'DESIGN'}.md §2`))).toBe(true);
    expect(outsideDocuments.some((re) => re.test(`read ${'shared'}/fixtures/x.json`))).toBe(true);
    expect(outsideDocuments.some((re) => re.test(`import x from '../${'shared'}/errors'`))).toBe(false);
  });
});
