// The rules about a call's place in the code, apart from types: how arguments match
// parameters by label, whether a `try` / `await` covers a call, whether it runs in `offMain`.

/** The sample's helper that runs blocking store calls off the main actor (TrellisUI/OffMain.swift). */
export const OFF_MAIN = 'offMain';

const BINARY = new Set([
  'infix_expression',
  'nil_coalescing_expression',
  'equality_expression',
  'comparison_expression',
  'conjunction_expression',
  'disjunction_expression',
  'additive_expression',
  'multiplicative_expression',
  'range_expression',
  'ternary_expression',
  'as_expression',
  'check_expression',
  'navigation_expression',
  'call_expression',
  'postfix_expression',
]);
/** Where a `try` or `await` stops covering what follows it. */
const EXPRESSION_END = new Set([
  'lambda_literal',
  'statements',
  'function_body',
  'computed_property',
  'class_body',
  'source_file',
  'value_argument',
  'array_literal',
  'dictionary_literal',
  'tuple_expression',
  'if_statement',
  'guard_statement',
  'switch_statement',
]);

/**
 * Matches a call's arguments to a declaration's parameters the way Swift does for labels: in
 * order, each argument's label naming the next parameter, parameters with a default skippable.
 * Returns the parameter of each argument and, if they do not match, what is wrong.
 */
export function matchArgs(params, args) {
  const out = [];
  let i = 0;
  const labelText = (l) => (l === null ? 'an unlabeled argument' : `${l}:`);
  for (const a of args) {
    let j = i;
    while (j < params.length && params[j].label !== a.label && params[j].hasDefault) j++;
    if (j < params.length && params[j].label === a.label) {
      out.push(params[j]);
      i = params[j].variadic ? j : j + 1;
      continue;
    }
    const anywhere = params.findIndex((p) => p.label === a.label);
    if (anywhere < 0) return { params: out, problem: `no parameter takes ${labelText(a.label)}` };
    if (anywhere < i) return { params: out, problem: `${labelText(a.label)} is out of order` };
    return { params: out, problem: `missing ${labelText(params[j].label)} before ${labelText(a.label)}` };
  }
  const missing = params.slice(i).filter((p) => !p.hasDefault && !(p.variadic && out.includes(p)));
  if (missing.length) return { params: out, problem: `missing ${missing.map((p) => labelText(p.label)).join(', ')}` };
  return { params: out, problem: null };
}

/** Whether a `try` (or `await`) covers `node`: on an enclosing expression, or leading one it is part of. */
export function covered(node, kind) {
  let prev = node;
  for (let a = node.parent; a; prev = a, a = a.parent) {
    if (a.type === kind) return true;
    if (BINARY.has(a.type)) {
      for (let d = a.namedChildren[0]; d && d.startIndex < prev.startIndex; d = d.namedChildren[0]) {
        if (d.type === kind) return true;
      }
    }
    if (EXPRESSION_END.has(a.type)) return false;
  }
  return false;
}

/** Whether `node` sits in a closure passed to offMain. */
export function insideOffMain(node) {
  for (let a = node.parent; a; a = a.parent) {
    if (a.type === 'function_declaration' || a.type === 'init_declaration') return false;
    if (a.type !== 'lambda_literal') continue;
    // `offMain { ... }` (a trailing closure) or `offMain({ ... })` (an argument).
    let suffix = a.parent;
    if (suffix && suffix.type === 'value_argument') suffix = suffix.parent && suffix.parent.parent;
    if (suffix && suffix.type === 'call_suffix') {
      const callee = suffix.parent && suffix.parent.namedChildren[0];
      if (callee && callee.type === 'simple_identifier' && callee.text === OFF_MAIN) return true;
    }
  }
  return false;
}
