import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layout's rules (docs/architecture.md), checked on every file git tracks: dependencies point
 * inwards, towards lib/. Import cycles and long functions are the linter's (biome.json).
 */
const root = join(__dirname, '../..');
const sources = execFileSync('git', ['ls-files', '*.ts'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file && !file.endsWith('.d.ts'));

function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true).importedFiles.map((imported) => imported.fileName);
}

/** Top-level folder an import lands in, or the package name for a bare import. */
function targetOf(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  return normalize(join(dirname(file), specifier)).split('/')[0] ?? '';
}

/** What each folder may not import (folders outward of it, and the SDKs for the domain). */
const forbidden: Record<string, RegExp> = {
  lib: /^(adapters|functions|infra|cli|demo|bench|scripts|test|@aws-sdk\/.*|@smithy\/.*|aws-lambda|aws-cdk-lib.*|@aws-lambda-powertools\/.*)$/,
  adapters: /^(functions|infra|cli|demo|bench|scripts|test)$/,
  functions: /^(infra|cli|demo|bench|scripts|test)$/,
  cli: /^(adapters|functions|infra|demo|bench|test|@aws-sdk\/client-.*|@aws-sdk\/lib-.*)$/,
};

/** Declarative tables (route tables, schemas) may run longer than a screen of logic. */
const longFilesAllowed = new Set<string>([]);

describe('layout', () => {
  for (const [folder, rule] of Object.entries(forbidden)) {
    it(`${folder}/ imports nothing outward of it`, () => {
      const violations = sources
        .filter((file) => file.startsWith(`${folder}/`))
        .flatMap((file) => importsOf(file).map((specifier) => ({ file, specifier, target: targetOf(file, specifier) })))
        .filter(({ target }) => rule.test(target))
        .map(({ file, specifier }) => `${file} imports ${specifier}`);
      expect(violations).toEqual([]);
    });
  }

  it('keeps every source file under about 300 lines, declarative tables aside', () => {
    const long = sources
      .filter((file) => !file.startsWith('test/') && !longFilesAllowed.has(file))
      .map((file) => ({ file, lines: readFileSync(join(root, file), 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 310)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });

  it('has a top level as docs/architecture.md names it', () => {
    const top = new Set(sources.map((file) => file.split('/')[0]));
    for (const folder of ['lib', 'functions', 'infra', 'test']) expect(top).toContain(folder);
    expect(sources.some((file) => file.startsWith('src/'))).toBe(false);
  });
});
