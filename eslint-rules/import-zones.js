/**
 * ESLint rule: which parts of the project a file may import, by where the specifier points (relative,
 * root-relative `/src/…` or a bare `src/…` alias: import-graph.js `specifierPath`), not by how it is spelled.
 * Static imports, re-exports, `import()`, `import('…').Type` and `new URL('…', import.meta.url)` (how a
 * worker is loaded) all count. Options: `root` (the project folder), and either `allow` (the only folders the
 * files may import from) or `forbid` (folders they must not import from, `allowTypeImports` per folder).
 */
import { relative, sep } from 'node:path';
import { sourceFile, specifierPath } from './import-graph.js';

const inside = (rel, dir) => rel === dir || rel.startsWith(`${dir}/`);

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'keep each part of the project to the imports its layer allows' },
    schema: [{
      type: 'object',
      properties: {
        root: { type: 'string' },
        allow: { type: 'array', items: { type: 'string' } },
        forbid: {
          type: 'array',
          items: {
            type: 'object',
            properties: { path: { type: 'string' }, allowTypeImports: { type: 'boolean' }, message: { type: 'string' } },
            required: ['path'],
            additionalProperties: false,
          },
        },
        message: { type: 'string' },
      },
      required: ['root'],
      additionalProperties: false,
    }],
    messages: { outside: '{{spec}} ({{target}}) is outside this zone: {{why}}' },
  },
  create(context) {
    const { root, allow, forbid = [], message = '' } = context.options[0];
    const check = (node, spec, typeOnly) => {
      if (typeof spec !== 'string') return;
      const named = specifierPath(context.filename, spec, root);
      if (!named) return;
      // the file itself where it exists (`./x.js` written for x.ts), so that a zone may name one file
      const target = sourceFile(named) ?? named;
      const rel = relative(root, target).split(sep).join('/');
      let why;
      if (allow && !allow.some((d) => inside(rel, d))) why = message || `only ${allow.join(', ')} may be imported here`;
      const hit = forbid.find((f) => inside(rel, f.path) && !(typeOnly && f.allowTypeImports));
      if (hit) why = hit.message ?? (message || `${hit.path} may not be imported here`);
      if (why) context.report({ node, messageId: 'outside', data: { spec, target: rel, why } });
    };
    const typeOnlyImport = (n) => n.importKind === 'type' || (n.specifiers.length > 0 && n.specifiers.every((s) => s.importKind === 'type'));
    const typeOnlyExport = (n) => n.exportKind === 'type' || (n.specifiers?.length > 0 && n.specifiers.every((s) => s.exportKind === 'type'));
    return {
      ImportDeclaration: (n) => check(n.source, n.source.value, typeOnlyImport(n)),
      ExportNamedDeclaration: (n) => { if (n.source) check(n.source, n.source.value, typeOnlyExport(n)); },
      ExportAllDeclaration: (n) => check(n.source, n.source.value, n.exportKind === 'type'),
      ImportExpression: (n) => { if (n.source.type === 'Literal') check(n.source, n.source.value, false); },
      TSImportType: (n) => { const lit = n.argument?.literal ?? n.argument; if (lit?.type === 'Literal') check(n, lit.value, true); },
      NewExpression: (n) => {
        const [url, base] = n.arguments;
        if (n.callee.type === 'Identifier' && n.callee.name === 'URL' && url?.type === 'Literal' && base?.type === 'MemberExpression'
          && base.object.type === 'MetaProperty' && base.property.name === 'url') check(url, url.value, false);
      },
    };
  },
};
