/**
 * ESLint rule: a file must not import (at run time, type-only imports aside) a module that leads back to it.
 * The graph is the one src/import-cycles.test.ts checks for the whole project (import-graph.js): the linted
 * text's own imports, then the files on disk. The report names the chain that closes the cycle.
 */
import { relative } from 'node:path';
import { diskImports, pathBack, resolveImport, runtimeImports, SOURCE } from './import-graph.js';

/** The import or re-export statement whose source is `spec`, to put the report on. */
function statementOf(program, spec) {
  return program.body.find((n) => (n.type === 'ImportDeclaration' || n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration')
    && n.source?.value === spec) ?? program;
}

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'disallow run-time import cycles between the project\'s modules' },
    schema: [],
    messages: { cycle: 'import cycle: {{chain}}' },
  },
  create(context) {
    const file = context.filename;
    if (!SOURCE.test(file) || file.endsWith('.d.ts')) return {};
    return {
      Program(program) {
        const seen = new Set();
        for (const spec of runtimeImports(context.sourceCode.text)) {
          const dep = resolveImport(file, spec);
          if (!dep || seen.has(dep)) continue;
          seen.add(dep);
          const chain = pathBack(dep, file, (f) => (f === file ? [] : diskImports(f)));
          if (!chain) continue;
          const names = [file, ...chain].map((f) => relative(context.cwd, f));
          context.report({ node: statementOf(program, spec), messageId: 'cycle', data: { chain: names.join(' → ') } });
        }
      },
    };
  },
};
