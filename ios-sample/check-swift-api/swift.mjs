// The Swift parser (tree-sitter-swift as WebAssembly, through web-tree-sitter) and the small
// vocabulary the checker speaks about Swift: types, declarations' signatures, node helpers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';

const require = createRequire(import.meta.url);

/** A parser for Swift source. */
export async function swiftParser() {
  await Parser.init();
  const swift = await Language.load(
    require.resolve('@repomix/tree-sitter-wasms/out/tree-sitter-swift.wasm'),
  );
  const parser = new Parser();
  parser.setLanguage(swift);
  return parser;
}

/**
 * Reads a Swift file and parses it. `#if` / `#else` / `#endif` lines are kept out of the tree
 * (blanked, so lines and columns stay put): the grammar accepts them between statements but not
 * between an attribute and its declaration, where the generated bindings put them. `conditions`
 * gives, for each line, the `#if` conditions it sits under (`!cond` inside an `#else`).
 */
export function parseFile(parser, path) {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const stack = [];
  const conditions = [];
  const kept = lines.map((line, i) => {
    const m = line.match(/^\s*#(if|elseif|else|endif)\b\s*(.*?)\s*$/);
    if (m) {
      if (m[1] === 'if') stack.push(m[2]);
      else if (m[1] === 'endif') stack.pop();
      else stack[stack.length - 1] = `!(${stack[stack.length - 1]})${m[2] ? ` && ${m[2]}` : ''}`;
      conditions[i] = [...stack];
      return ' '.repeat(line.length);
    }
    conditions[i] = [...stack];
    return line;
  });
  const tree = parser.parse(kept.join('\n'));
  return { path, tree, conditions };
}

// ---- types -----------------------------------------------------------------------------

export const named = (name, args = []) => ({ k: 'named', name, args });
export const optional = (of) => (of && of.k === 'optional' ? of : { k: 'optional', of });
export const array = (of) => ({ k: 'array', of });
/** A type used as a value (`TrellisError.Closed`, `TrellisStore.open(...)`). */
export const meta = (name) => ({ k: 'meta', name });
export const unwrap = (t) => (t && t.k === 'optional' ? t.of : t);
export const BOOL = named('Bool');
export const INT = named('Int');
export const STRING = named('String');

export function typeText(t) {
  if (!t) return '?';
  switch (t.k) {
    case 'named':
      return t.args.length ? `${t.name}<${t.args.map(typeText).join(', ')}>` : t.name;
    case 'optional':
      return `${typeText(t.of)}?`;
    case 'array':
      return `[${typeText(t.of)}]`;
    case 'dict':
      return `[${typeText(t.key)}: ${typeText(t.value)}]`;
    case 'func':
      return `(${t.params.map(typeText).join(', ')}) -> ${typeText(t.ret)}`;
    case 'meta':
      return `${t.name}.Type`;
    default:
      return t.k;
  }
}

/** The type a type node names, or null for what the checker does not follow (tuples, ...). */
export function parseType(node) {
  if (!node) return null;
  switch (node.type) {
    case 'user_type': {
      // `Swift.Error` names Error; generic arguments are kept.
      const ids = node.namedChildren.filter((c) => c.type === 'type_identifier');
      const args = node.namedChildren.find((c) => c.type === 'type_arguments');
      const name = ids.length ? ids[ids.length - 1].text : node.text;
      return named(name, args ? args.namedChildren.map(parseType) : []);
    }
    case 'optional_type':
      return optional(parseType(node.childForFieldName('wrapped')));
    case 'array_type':
      return array(parseType(node.namedChildren[0]));
    case 'dictionary_type': {
      const [key, value] = node.namedChildren;
      return { k: 'dict', key: parseType(key), value: parseType(value) };
    }
    case 'function_type':
      return { k: 'func', params: [], ret: parseType(node.childForFieldName('return_type')) };
    default:
      return null;
  }
}

// ---- nodes -----------------------------------------------------------------------------

/** The children of `node` with their field names: [{node, field}]. */
export function fields(node) {
  const out = [];
  for (let i = 0; i < node.childCount; i++) out.push({ node: node.child(i), field: node.fieldNameForChild(i) });
  return out;
}

/** An identifier without its backticks (`` `init` `` is `init`). */
export const bare = (text) => text.replace(/`/g, '');

/** 1-based line of a node. */
export const line = (node) => node.startPosition.row + 1;

export function modifiersOf(node) {
  const mods = node.namedChildren.find((c) => c.type === 'modifiers');
  return mods ? mods.text.split(/\s+/) : [];
}

export function isPublic(node) {
  return modifiersOf(node).some((m) => m === 'public' || m === 'open');
}

export function attributesOf(node) {
  const out = [];
  const mods = node.namedChildren.find((c) => c.type === 'modifiers');
  for (const c of mods ? mods.namedChildren : []) {
    if (c.type === 'attribute') out.push(c.text.replace(/^@/, '').replace(/\(.*$/s, ''));
  }
  return out;
}

/**
 * The signature of a function, initializer or protocol requirement: its name, parameters
 * (argument label, null for `_`; type; whether it has a default or is variadic), whether it
 * throws and is async, its return type and whether it is static.
 */
export function signature(node) {
  const sig = {
    name: null,
    params: [],
    throws: false,
    async: false,
    returns: null,
    isStatic: false,
    generics: [],
    line: line(node),
    node,
  };
  if (node.type === 'init_declaration') sig.name = 'init';
  const mods = modifiersOf(node);
  sig.isStatic = mods.includes('static') || mods.includes('class');
  let afterArrow = false;
  const kids = fields(node);
  kids.forEach(({ node: c, field }, i) => {
    if (c.type === 'simple_identifier' && field === 'name' && sig.name === null) sig.name = bare(c.text);
    else if (c.type === 'type_parameters') {
      sig.generics = c.namedChildren
        .filter((p) => p.type === 'type_parameter')
        .map((p) => p.namedChildren.find((x) => x.type === 'type_identifier')?.text);
    } else if (c.type === 'parameter') {
      const p = parameter(c);
      const next = kids[i + 1];
      p.hasDefault = !!(next && next.node.type === '=');
      sig.params.push(p);
    } else if (c.type === 'async') sig.async = true;
    else if (c.type === 'throws') sig.throws = true;
    else if (c.type === '->') afterArrow = true;
    else if (afterArrow && c.isNamed && !sig.returns && c.type !== 'function_body' && c.type !== 'type_constraints') {
      sig.returns = parseType(c);
    }
  });
  return sig;
}

function parameter(node) {
  let external = null;
  let name = null;
  let type = null;
  let variadic = false;
  let funcParams = null;
  for (const { node: c, field } of fields(node)) {
    if (field === 'external_name') external = bare(c.text);
    else if (c.type === 'simple_identifier' && name === null) name = bare(c.text);
    else if (c.type === '...') variadic = true;
    else if (c.type === 'type_modifiers') {
      // The grammar reads `@Sendable (A, B) throws -> T` as an attribute with arguments
      // `(A, B)` and a function type after it: the arguments are the closure's parameters.
      const attr = c.namedChildren.find((a) => a.type === 'attribute');
      if (attr) funcParams = attr.namedChildren.filter((a) => a.type === 'simple_identifier').map((a) => named(a.text));
    } else if (field === 'name' && c.isNamed && c.type !== 'simple_identifier') type = parseType(c);
  }
  if (type && type.k === 'func' && funcParams) type.params = funcParams;
  return { label: external === null ? name : external === '_' ? null : external, name, type, variadic, hasDefault: false };
}

/** "name(label:label:)" for messages. */
export function sigText(sig) {
  return `${sig.name}(${sig.params.map((p) => `${p.label ?? '_'}:`).join('')})`;
}
