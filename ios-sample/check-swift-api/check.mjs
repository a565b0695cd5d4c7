#!/usr/bin/env node
// Checks the iOS sample's Swift against the Swift bindings uniffi generated, without a Swift
// compiler: both are parsed with tree-sitter-swift, and every use the sample makes of the core
// is checked against the generated declarations (see ../README.md).
//
//   node check.mjs <generated TrellisCore.swift> <sample dir>...
//
// Prints one line per problem (file:line:column: what is wrong) and exits 1 if there is any.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { collect, emptyDeclarations } from './declarations.mjs';
import { Checker } from './uses.mjs';
import { parseFile, swiftParser } from './swift.mjs';

function swiftFiles(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return swiftFiles(path);
      return name.endsWith('.swift') ? [path] : [];
    });
}

/** The first node of `tree` the grammar could not read, if any. */
function firstError(node) {
  if (node.type === 'ERROR' || node.isMissing) return node;
  if (!node.hasError) return null;
  for (const c of node.children) {
    const e = firstError(c);
    if (e) return e;
  }
  return node;
}

const where = (path, node) => `${relative(process.cwd(), path)}:${node.startPosition.row + 1}:${node.startPosition.column + 1}`;

async function main(argv) {
  if (argv.length < 2) {
    console.error('usage: node check.mjs <generated TrellisCore.swift> <sample dir>...');
    return 2;
  }
  const [generatedPath, ...dirs] = argv;
  const parser = await swiftParser();
  const problems = [];

  // The generated API: every public declaration must have been read whole (the grammar trips
  // on a few private helpers of the generated file, which the check does not need).
  const generated = parseFile(parser, generatedPath);
  const api = collect(emptyDeclarations(), generated, { publicOnly: true });
  for (const [name, t] of api.types) {
    if (t.node && t.node.hasError) problems.push(`${where(generatedPath, firstError(t.node))}: could not read the generated declaration of ${name}`);
  }
  for (const sigs of api.functions.values()) {
    for (const s of sigs) {
      if (s.node.hasError) problems.push(`${where(generatedPath, firstError(s.node))}: could not read the generated function ${s.name}`);
    }
  }
  if (!api.types.has('TrellisStore')) problems.push(`${generatedPath}: declares no TrellisStore`);

  // The sample: every file must parse cleanly.
  const files = dirs.flatMap(swiftFiles).map((path) => parseFile(parser, path));
  const sample = emptyDeclarations();
  for (const file of files) {
    const error = firstError(file.tree.rootNode);
    if (error) problems.push(`${where(file.path, error)}: Swift the parser cannot read: ${JSON.stringify(error.text.slice(0, 60))}`);
    collect(sample, file, { publicOnly: false });
  }

  const checker = new Checker(api, sample, (path, node, message) => problems.push(`${where(path, node)}: ${message}`));
  for (const file of files) checker.file(file);
  checker.finish();

  for (const p of problems) console.log(p);
  const c = checker.counts;
  console.log(
    `ios-sample swift api: ${files.length} files; ${c.calls} calls into the core (${c.offMain} of them in offMain), ` +
      `${c.inits} record initializers, ${c.cases} enum cases, ${c.fields} record fields, ` +
      `${c.conformances} protocol conformances checked; ${problems.length} problems`,
  );
  if (c.calls === 0) console.log('no call into the core was found: the check saw nothing');
  return problems.length || c.calls === 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
