// What a set of Swift files declares at their top level: types (classes, structs, enums,
// protocols, actors) with their methods, initializers, stored and computed properties and enum
// cases; extensions (with the conformances they add and the `#if` they sit under); free
// functions and global constants. Read from the generated bindings (their public API) and from
// the sample (for the types of its own properties and the signatures of its own functions).
import { attributesOf, bare, fields, isPublic, line, parseType, signature } from './swift.mjs';

export function emptyDeclarations() {
  return { types: new Map(), extensions: [], functions: new Map(), globals: new Map() };
}

function typeEntry(decls, name) {
  if (!decls.types.has(name)) {
    decls.types.set(name, {
      name,
      kind: null,
      line: 0,
      file: null,
      node: null,
      methods: new Map(),
      inits: [],
      props: new Map(),
      cases: new Map(),
      inherits: [],
      attributes: [],
    });
  }
  return decls.types.get(name);
}

const push = (map, key, value) => {
  if (!map.has(key)) map.set(key, []);
  map.get(key).push(value);
};

/** Adds what `file` declares to `decls`; with `publicOnly`, only its public and open API. */
export function collect(decls, file, { publicOnly }) {
  const keep = (n) => !publicOnly || isPublic(n);
  for (const node of file.tree.rootNode.namedChildren) {
    if (node.type === 'class_declaration' || node.type === 'protocol_declaration') {
      const kindNode = node.childForFieldName('declaration_kind');
      const kind = kindNode ? kindNode.text : 'protocol';
      const nameNode = node.childForFieldName('name');
      if (!nameNode) continue;
      const name = bare(nameNode.text).split('.').pop();
      const inherits = node.namedChildren
        .filter((c) => c.type === 'inheritance_specifier')
        .map((c) => bare(c.text).split('.').pop());
      if (kind === 'extension') {
        const unchecked = node.namedChildren.some((c) => c.type === 'attribute' && c.text === '@unchecked');
        decls.extensions.push({ name, inherits, unchecked, conditions: file.conditions[nameNode.startPosition.row], line: line(node), file: file.path, node });
        if (!decls.types.has(name) && publicOnly) continue;
      } else if (!keep(node)) {
        continue;
      }
      const entry = typeEntry(decls, name);
      if (kind !== 'extension') {
        Object.assign(entry, { kind, line: line(node), file: file.path, node, attributes: attributesOf(node) });
      }
      entry.inherits.push(...inherits);
      const body = node.childForFieldName('body');
      if (body) members(entry, body, keep, kind);
    } else if (node.type === 'function_declaration' && keep(node)) {
      const sig = signature(node);
      sig.file = file.path;
      push(decls.functions, sig.name, sig);
    } else if (node.type === 'property_declaration' && keep(node)) {
      for (const p of properties(node)) decls.globals.set(p.name, p);
    }
  }
  return decls;
}

function members(entry, body, keep, kind) {
  for (const m of body.namedChildren) {
    if (m.type !== 'enum_entry' && kind !== 'protocol' && !keep(m)) continue;
    if (m.type === 'function_declaration' || m.type === 'protocol_function_declaration') {
      push(entry.methods, signature(m).name, signature(m));
    } else if (m.type === 'init_declaration') {
      entry.inits.push(signature(m));
    } else if (m.type === 'property_declaration' || m.type === 'protocol_property_declaration') {
      for (const p of properties(m)) entry.props.set(p.name, p);
    } else if (m.type === 'enum_entry') {
      for (const c of enumCases(m)) entry.cases.set(c.name, c);
    }
  }
}

/** The names a property declaration binds, each with its annotated type and initializer. */
export function properties(node) {
  const out = [];
  const isStatic = /\b(static|class)\b/.test(node.namedChildren.find((c) => c.type === 'modifiers')?.text ?? '');
  let current = null;
  for (const { node: c, field } of fields(node)) {
    if (field === 'name' && c.type === 'pattern') {
      const id = c.childForFieldName('bound_identifier') ?? c.namedChildren.find((x) => x.type === 'simple_identifier');
      if (!id) continue;
      current = { name: bare(id.text), type: null, init: null, isStatic, line: line(c), node: c };
      out.push(current);
    } else if (current && c.type === 'type_annotation') {
      current.type = parseType(c.namedChildren[c.namedChildren.length - 1]);
    } else if (current && field === 'value') {
      current.init = c;
    } else if (current && field === 'computed_value') {
      current.computed = c;
    }
  }
  return out;
}

/** The cases of an enum entry, each with its associated values' labels (null if none) and types. */
function enumCases(node) {
  const out = [];
  for (const { node: c, field } of fields(node)) {
    if (field === 'name' && c.type === 'simple_identifier') out.push({ name: bare(c.text), params: null, line: line(c) });
    else if (field === 'data_contents' && out.length) {
      const params = [];
      let label = null;
      for (const { node: p } of fields(c)) {
        if (p.type === 'simple_identifier') label = bare(p.text);
        else if (p.isNamed && p.type !== 'multiline_comment' && p.type !== 'comment') {
          params.push({ label, type: parseType(p) });
          label = null;
        }
      }
      out[out.length - 1].params = params;
    }
  }
  return out;
}
