// The expressions of the sample: their types as far as the checker can tell (annotations, the
// results of core calls, record fields, closure parameters of known calls), and the checks on
// each use of the core they contain. `Checker` (uses.mjs) adds declarations and statements.
import { covered, insideOffMain, matchArgs, OFF_MAIN } from './rules.mjs';
import { BOOL, INT, STRING, array, bare, fields, meta, named, optional, parseType, sigText, typeText, unwrap } from './swift.mjs';

export class Scope {
  constructor(parent = null) {
    this.parent = parent;
    this.vars = new Map();
  }
  get(name) {
    for (let s = this; s; s = s.parent) if (s.vars.has(name)) return { type: s.vars.get(name) };
    return null;
  }
  set(name, type) {
    this.vars.set(name, type);
  }
}

export class Expressions {
  constructor(api, sample, report) {
    this.api = api;
    this.sample = sample;
    this.report = report;
    this.quiet = 0;
    this.path = null;
    this.used = new Set();
    this.propTypes = new Map();
    this.counts = { calls: 0, offMain: 0, inits: 0, cases: 0, fields: 0, conformances: 0 };
    this.sampleMethodNames = new Set();
    for (const t of sample.types.values()) for (const m of t.methods.keys()) this.sampleMethodNames.add(m);
    for (const f of sample.functions.keys()) this.sampleMethodNames.add(f);
  }

  problem(node, message) {
    if (!this.quiet) this.report(this.path, node, message);
  }
  count(what) {
    if (!this.quiet) this.counts[what]++;
  }

  // ---- what a name is -------------------------------------------------------------------

  core(name) {
    const t = this.api.types.get(name);
    return t && t.kind && !name.startsWith('FfiConverter') ? t : null;
  }
  coreKind(t) {
    const c = t && (t.k === 'named' || t.k === 'meta') ? this.core(t.name) : null;
    if (!c) return null;
    if (c.kind === 'struct') return 'record';
    if (c.kind === 'enum') return 'enum';
    return 'class'; // classes and protocols
  }
  own(name) {
    const t = this.sample.types.get(name);
    return t && t.kind ? t : null;
  }
  use(type) {
    if (!type) return;
    if (type.k === 'named' || type.k === 'meta') {
      if (this.core(type.name)) this.used.add(type.name);
      for (const a of type.args ?? []) this.use(a);
    } else if (type.k === 'optional' || type.k === 'array') this.use(type.of);
    else if (type.k === 'dict') {
      this.use(type.key);
      this.use(type.value);
    }
  }

  /** The type of a sample type's property (annotated, or inferred from its initializer). */
  propType(typeName, prop) {
    const entry = this.own(typeName);
    const p = entry && entry.props.get(prop);
    if (!p) return null;
    if (p.type) return p.type;
    const key = `${typeName}.${prop}`;
    if (!this.propTypes.has(key)) {
      this.propTypes.set(key, null);
      if (p.init) {
        this.quiet++;
        this.propTypes.set(key, this.expr(p.init, this.context(typeName), null));
        this.quiet--;
      }
    }
    return this.propTypes.get(key);
  }

  context(selfType, scope = new Scope(), fn = null) {
    return { scope, selfType, fn, returns: null };
  }
  inner(ctx, extra = {}) {
    return { ...ctx, scope: new Scope(ctx.scope), ...extra };
  }

  lookup(name, ctx) {
    const local = ctx.scope.get(name);
    if (local) return local.type;
    if (ctx.selfType) {
      const t = this.propType(ctx.selfType, name);
      if (t) return t;
    }
    const g = this.sample.globals.get(name);
    if (g) return g.type ?? null;
    if (this.core(name) || this.own(name)) return meta(name);
    return null;
  }

  typeOf(node) {
    return parseType(node);
  }

  // ---- expressions --------------------------------------------------------------------------

  /** Checks an expression and returns its type when the checker can tell, else null. */
  expr(node, ctx, expected) {
    if (!node) return null;
    switch (node.type) {
      case 'simple_identifier':
        return this.lookup(bare(node.text), ctx);
      case 'self_expression':
        return ctx.selfType ? named(ctx.selfType) : null;
      case 'line_string_literal':
      case 'multi_line_string_literal':
        this.visit(node, ctx);
        return STRING;
      case 'integer_literal':
        return INT;
      case 'real_literal':
        return named('Double');
      case 'boolean_literal':
        return BOOL;
      case 'try_expression':
      case 'await_expression':
        return this.expr(node.childForFieldName('expr'), ctx, expected);
      case 'tuple_expression': {
        const values = node.childrenForFieldName('value');
        if (values.length === 1 && !node.namedChildren.some((c) => c.type === 'simple_identifier')) return this.expr(values[0], ctx, expected);
        this.visit(node, ctx);
        return null;
      }
      case 'postfix_expression': {
        const t = this.expr(node.childForFieldName('target'), ctx, null);
        return node.childForFieldName('operation')?.type === 'bang' ? unwrap(t) : null;
      }
      case 'as_expression': {
        this.expr(node.childForFieldName('expr'), ctx, null);
        const t = this.typeOf(node.childForFieldName('name'));
        this.use(t);
        return node.children.some((c) => c.type === 'as_operator' && c.text === 'as?') ? optional(t) : t;
      }
      case 'nil_coalescing_expression': {
        const t = this.expr(node.childForFieldName('value'), ctx, expected ? optional(expected) : null);
        const r = this.expr(node.childForFieldName('if_nil'), ctx, unwrap(t) ?? expected);
        return unwrap(t) ?? r;
      }
      case 'ternary_expression': {
        this.expr(node.childForFieldName('condition'), ctx, BOOL);
        const a = this.expr(node.childForFieldName('if_true'), ctx, expected);
        const b = this.expr(node.childForFieldName('if_false'), ctx, expected ?? a);
        return a ?? b;
      }
      case 'equality_expression':
      case 'comparison_expression': {
        const lhs = node.childForFieldName('lhs');
        const rhs = node.childForFieldName('rhs');
        const a = lhs && lhs.type !== 'prefix_expression' ? this.expr(lhs, ctx, null) : null;
        const b = this.expr(rhs, ctx, a);
        if (lhs && lhs.type === 'prefix_expression') this.expr(lhs, ctx, b);
        return BOOL;
      }
      case 'prefix_expression':
        return this.prefix(node, ctx, expected);
      case 'array_literal': {
        const e = expected && unwrap(expected).k === 'array' ? unwrap(expected).of : null;
        let first = null;
        for (const el of node.childrenForFieldName('element')) first = first ?? this.expr(el, ctx, e);
        return expected ?? (first ? array(first) : null);
      }
      case 'navigation_expression':
        return this.member(node, ctx, expected);
      case 'call_expression':
        return this.call(node, ctx, expected);
      case 'lambda_literal':
        return this.lambda(node, ctx, expected && expected.k === 'func' ? expected : null).type;
      default:
        this.visit(node, ctx);
        return null;
    }
  }

  /** Visits the children of a node the checker has no rule for, so the uses inside are checked. */
  visit(node, ctx) {
    for (const c of node.namedChildren) {
      if (c.type === 'statements') this.statements(c, this.inner(ctx));
      else if (c.type === 'lambda_literal') this.lambda(c, ctx, null);
      else if (c.type === 'property_declaration' || c.type.endsWith('_statement') || c.type === 'assignment') this.statement(c, ctx);
      else this.expr(c, ctx, null);
    }
  }

  /** `.name` where the type is known from the context: an enum case. */
  prefix(node, ctx, expected) {
    const op = node.childForFieldName('operation');
    const target = node.childForFieldName('target');
    if (!op || op.text !== '.' || !target || target.type !== 'simple_identifier') {
      this.visit(node, ctx);
      return null;
    }
    const t = unwrap(expected);
    if (this.coreKind(t) === 'enum') {
      this.enumCase(t.name, target);
      return t;
    }
    return null;
  }

  enumCase(enumName, nameNode) {
    const e = this.core(enumName);
    const name = bare(nameNode.text);
    this.count('cases');
    this.used.add(enumName);
    const c = e.cases.get(name);
    if (!c) this.problem(nameNode, `${enumName} has no case ${name} (it has ${[...e.cases.keys()].join(', ')})`);
    return c;
  }

  /** `a.b` (not called): a record field, an enum case on its type, a sample property. */
  member(node, ctx, expected) {
    const { target, name, nameNode, chained } = this.navigation(node);
    if (!target || !nameNode) {
      this.visit(node, ctx);
      return null;
    }
    if (target.type === 'key_path_expression') return { k: 'keypath', name, node: nameNode };
    const tt = this.expr(target, ctx, null);
    const t = unwrap(tt);
    const wrap = (r) => (r && chained ? optional(r) : r);
    if (!t) return null;
    if (t.k === 'meta') {
      if (this.coreKind(t) === 'enum') {
        this.enumCase(t.name, nameNode);
        return named(t.name);
      }
      if (this.core(t.name)) {
        const c = this.core(t.name);
        if (!c.methods.has(name)) this.problem(nameNode, `${t.name} has no static member ${name}`);
        return null;
      }
      if (t.name === 'Self' || this.own(t.name)) return wrap(this.propType(t.name === 'Self' ? ctx.selfType : t.name, name));
      return null;
    }
    if (t.k === 'array') {
      if (name === 'count') return INT;
      if (name === 'isEmpty') return BOOL;
      if (name === 'first' || name === 'last') return optional(t.of);
      return null;
    }
    if (t.k !== 'named') return null;
    return wrap(this.field(t, nameNode));
  }

  /** A field of a core record (checked), or a property of a sample type. */
  field(t, nameNode) {
    const name = bare(nameNode.text);
    const kind = this.coreKind(t);
    if (kind === 'record') {
      const r = this.core(t.name);
      this.count('fields');
      this.used.add(t.name);
      const f = r.props.get(name);
      if (!f) {
        this.problem(nameNode, `${t.name} has no field ${name} (it has ${[...r.props.keys()].join(', ')})`);
        return null;
      }
      return f.type;
    }
    if (kind === 'class') {
      const c = this.core(t.name);
      if (!c.methods.has(name) && !c.props.has(name)) this.problem(nameNode, `${t.name} has no member ${name}`);
      return null;
    }
    if (this.own(t.name)) return this.propType(t.name, name);
    return null;
  }

  navigation(node) {
    let target = null;
    let chained = false;
    let nameNode = null;
    for (const { node: c, field } of fields(node)) {
      if (field === 'target' && c.type === '?') chained = true;
      else if (field === 'target') target = c;
      else if (field === 'suffix') nameNode = c.childForFieldName('suffix');
    }
    return { target, chained, nameNode, name: nameNode ? bare(nameNode.text) : null };
  }

  /** The arguments of a call: each with its label (null if none) and value, trailing closures last. */
  args(suffix) {
    const out = [];
    let subscript = false;
    let label = null;
    for (const { node: c, field } of fields(suffix)) {
      if (c.type === 'value_arguments') {
        subscript = c.child(0) && c.child(0).type === '[';
        for (const a of c.namedChildren.filter((x) => x.type === 'value_argument')) {
          const l = a.childForFieldName('name');
          out.push({ label: l ? bare(l.text) : null, value: a.childForFieldName('value'), node: a });
        }
      } else if (c.type === 'lambda_literal') {
        out.push({ label, value: c, node: c, trailing: true });
        label = null;
      } else if (field === 'name' && c.type === 'simple_identifier') label = bare(c.text);
    }
    return { args: out, subscript };
  }

  call(node, ctx, expected) {
    const callee = node.namedChildren[0];
    const suffix = node.namedChildren.find((c) => c.type === 'call_suffix');
    if (!suffix) return this.expr(callee, ctx, null);
    const { args, subscript } = this.args(suffix);
    if (subscript) {
      const t = unwrap(this.expr(callee, ctx, null));
      for (const a of args) this.expr(a.value, ctx, null);
      if (t && t.k === 'dict') return args.some((a) => a.label === 'default') ? t.value : optional(t.value);
      if (t && t.k === 'array') return t.of;
      return null;
    }

    if (callee.type === 'navigation_expression') {
      const { target, name, nameNode, chained } = this.navigation(callee);
      if (target && nameNode) {
        const tt = this.expr(target, ctx, null);
        const t = unwrap(tt);
        const wrap = (r) => (r && chained ? optional(r) : r);
        if (t && t.k === 'meta') {
          const kind = this.coreKind(t);
          if (kind === 'enum') {
            const c = this.enumCase(t.name, nameNode);
            return this.caseCall(t.name, c, nameNode, args, ctx, node);
          }
          if (kind) {
            const sigs = (this.core(t.name).methods.get(name) ?? []).filter((s) => s.isStatic);
            if (!sigs.length) {
              this.problem(nameNode, `${t.name} has no static method ${name}`);
              return this.argsOnly(args, ctx);
            }
            return this.coreCall(node, `${t.name}.${name}`, t.name, sigs, args, ctx);
          }
          const own = this.own(t.name === 'Self' ? ctx.selfType : t.name);
          if (own) return this.ownCall((own.methods.get(name) ?? [])[0], args, ctx, node);
          return this.argsOnly(args, ctx);
        }
        if (this.coreKind(t) === 'class') {
          const sigs = (this.core(t.name).methods.get(name) ?? []).filter((s) => !s.isStatic);
          if (!sigs.length) {
            this.problem(nameNode, `${t.name} has no method ${name}`);
            return this.argsOnly(args, ctx);
          }
          return wrap(this.coreCall(node, `${typeText(t)}.${name}`, t.name, sigs, args, ctx));
        }
        if (t && t.k === 'named' && this.own(t.name)) {
          return wrap(this.ownCall((this.own(t.name).methods.get(name) ?? [])[0], args, ctx, node));
        }
        if (t && t.k === 'array') return wrap(this.arrayCall(name, t.of, args, ctx));
        if (!t && this.core('TrellisStore')?.methods.has(name) && !this.sampleMethodNames.has(name)) {
          this.problem(target, `cannot tell the type of ${JSON.stringify(target.text)} to check .${name}(...) against the core: give it a type annotation`);
        }
        return this.argsOnly(args, ctx);
      }
    }
    if (callee.type === 'simple_identifier') {
      const name = bare(callee.text);
      const local = ctx.scope.get(name);
      if (local) {
        this.argsOnly(args, ctx);
        return local.type && local.type.k === 'func' ? local.type.ret : null;
      }
      const kind = this.coreKind(named(name));
      if (kind === 'record' || kind === 'class') {
        const c = this.core(name);
        this.use(named(name));
        if (kind === 'record') this.count('inits');
        return this.coreCall(node, name, name, c.inits, args, ctx, named(name));
      }
      if (this.api.functions.has(name)) return this.coreCall(node, name, null, this.api.functions.get(name), args, ctx);
      const method = ctx.selfType && this.own(ctx.selfType) ? this.own(ctx.selfType).methods.get(name) : null;
      if (method) return this.ownCall(method[0], args, ctx, node);
      const fn = this.sample.functions.get(name);
      if (fn) return this.ownCall(fn[0], args, ctx, node);
      const own = this.own(name);
      if (own) {
        this.ownCall(own.inits[0], args, ctx, node);
        return named(name);
      }
      return this.argsOnly(args, ctx);
    }
    if (callee.type === 'prefix_expression') {
      const op = callee.childForFieldName('operation');
      const target = callee.childForFieldName('target');
      const t = unwrap(expected);
      if (op && op.text === '.' && target && target.type === 'simple_identifier' && this.coreKind(t) === 'enum') {
        const c = this.enumCase(t.name, target);
        return this.caseCall(t.name, c, target, args, ctx, node);
      }
    }
    const t = this.expr(callee, ctx, null);
    this.argsOnly(args, ctx);
    return t && t.k === 'func' ? t.ret : null;
  }

  argsOnly(args, ctx) {
    for (const a of args) {
      if (a.value && a.value.type === 'lambda_literal') this.lambda(a.value, ctx, null);
      else this.expr(a.value, ctx, null);
    }
    return null;
  }

  /** `.case(label: value)`: the associated values' labels. */
  caseCall(enumName, c, at, args, ctx, node) {
    if (!c) return this.argsOnly(args, ctx);
    const params = (c.params ?? []).map((p) => ({ label: p.label, type: p.type, hasDefault: false }));
    const m = matchArgs(params, args);
    if (m.problem) this.problem(at, `${enumName}.${c.name}: ${m.problem}`);
    args.forEach((a, i) => this.expr(a.value, ctx, m.params[i] ? m.params[i].type : null));
    return named(enumName);
  }

  /** A call of a core method, static function, initializer or free function. */
  coreCall(node, text, owner, sigs, args, ctx, result) {
    const matches = sigs.map((s) => ({ sig: s, m: matchArgs(s.params, args) }));
    const { sig, m } = matches.find((x) => !x.m.problem) ?? matches[0] ?? {};
    const at = node.namedChildren[0];
    if (!sig) {
      this.problem(at, `${text}: no public initializer in the generated Swift`);
      return this.argsOnly(args, ctx);
    }
    if (!result) this.count('calls');
    if (m.problem) this.problem(at, `${text}(${args.map((a) => `${a.label ?? '_'}:`).join('')}): ${m.problem}; the generated Swift declares ${sigText(sig)}`);
    args.forEach((a, i) => this.expr(a.value, ctx, m.params[i] ? m.params[i].type : null));
    for (const p of sig.params) this.use(p.type);
    this.use(sig.returns);
    if (sig.throws && !covered(node, 'try_expression')) this.problem(at, `${text}(...) throws: call it with try`);
    if (sig.async && !covered(node, 'await_expression')) this.problem(at, `${text}(...) is async: call it with await`);
    if ((owner === 'TrellisStore' || owner === 'TrellisStoreProtocol') && !sig.async) {
      if (insideOffMain(node)) this.count('offMain');
      else this.problem(at, `${text}(...) blocks its caller: call it inside ${OFF_MAIN} { } so it runs off the main actor`);
    }
    return result ?? sig.returns;
  }

  /** A call of the sample's own function or method: its parameters give the arguments' types. */
  ownCall(sig, args, ctx, node) {
    if (!sig) return this.argsOnly(args, ctx);
    const at = node.namedChildren[0];
    if (sig.throws && !covered(node, 'try_expression')) this.problem(at, `${sig.name}(...) throws: call it with try`);
    if (sig.async && !covered(node, 'await_expression')) this.problem(at, `${sig.name}(...) is async: call it with await`);
    const types = [];
    let p = 0;
    let closureResult = null;
    for (const a of args) {
      let param = null;
      if (a.label !== null) {
        const j = sig.params.findIndex((x, k) => k >= p && x.label === a.label);
        if (j >= 0) {
          param = sig.params[j];
          p = param.variadic ? j : j + 1;
        }
      } else if (a.trailing) {
        param = [...sig.params].reverse().find((x) => x.type && x.type.k === 'func') ?? null;
      } else if (sig.params[p]) {
        param = sig.params[p];
        if (!param.variadic) p++;
      }
      let ptype = param ? param.type : null;
      if (ptype && ptype.k === 'named' && sig.generics.includes(ptype.name)) ptype = null;
      if (a.value && a.value.type === 'lambda_literal') {
        const r = this.lambda(a.value, ctx, ptype && ptype.k === 'func' ? ptype : null);
        if (ptype && ptype.k === 'func' && ptype.ret && sig.generics.includes(ptype.ret.name)) closureResult = r.type;
      } else types.push(this.expr(a.value, ctx, ptype));
    }
    const ret = sig.returns;
    if (ret && ret.k === 'named' && sig.generics.includes(ret.name)) return closureResult;
    return ret;
  }

  /** The array methods the sample uses on lists from the core, with their closures' element type. */
  arrayCall(name, elem, args, ctx) {
    const closureParams = name === 'reduce' ? [null, elem] : [elem];
    let closure = null;
    let init = null;
    for (const a of args) {
      const v = a.value;
      if (v && v.type === 'lambda_literal') closure = this.lambda(v, ctx, { k: 'func', params: closureParams, ret: null });
      else {
        const t = this.expr(v, ctx, null);
        if (t && t.k === 'keypath') closure = { type: this.keyPath(t, elem) };
        else init = init ?? t;
      }
    }
    switch (name) {
      case 'first':
      case 'last':
        return optional(elem);
      case 'filter':
      case 'sorted':
        return array(elem);
      case 'map':
        return closure && closure.type ? array(closure.type) : null;
      case 'compactMap':
        return closure && closure.type ? array(unwrap(closure.type)) : null;
      case 'contains':
      case 'allSatisfy':
        return BOOL;
      case 'reduce':
        return init;
      default:
        return null;
    }
  }

  keyPath(kp, root) {
    if (!root || root.k !== 'named') return null;
    return this.field(root, kp.node);
  }

  /**
   * A closure: its captures (`[store, query]`, `[weak self]`), parameters (annotated, or typed
   * by `fn` from the call it is passed to; `$0`...) and body. Returns its result type.
   */
  lambda(node, ctx, fn) {
    const scope = new Scope(ctx.scope);
    const inner = { ...ctx, scope, returns: [], fn: { returns: null, params: [] } };
    let declared = null;
    let named0 = false;
    for (const c of node.namedChildren) {
      if (c.type === 'capture_list') {
        for (const item of c.namedChildren.filter((x) => x.type === 'capture_list_item')) {
          const n = item.childForFieldName('name');
          if (!n) continue;
          const value = item.childForFieldName('value');
          const weak = item.namedChildren.some((x) => x.type === 'ownership_modifier' && /weak/.test(x.text));
          let t = value ? this.expr(value, ctx, null) : n.text === 'self' ? (ctx.selfType ? named(ctx.selfType) : null) : this.lookup(bare(n.text), ctx);
          if (weak) t = optional(t);
          scope.set(bare(n.text), t);
        }
      } else if (c.type === 'lambda_function_type') {
        const params = c.namedChildren.find((x) => x.type === 'lambda_function_type_parameters');
        (params ? params.namedChildren.filter((x) => x.type === 'lambda_parameter') : []).forEach((p, i) => {
          const n = p.childForFieldName('name');
          const typeNode = p.childrenForFieldName('name').find((x) => x.type !== 'simple_identifier');
          if (n) scope.set(bare(n.text), typeNode ? this.typeOf(typeNode) : fn ? fn.params[i] ?? null : null);
          named0 = true;
        });
        let afterArrow = false;
        for (const x of c.children) {
          if (x.type === '->') afterArrow = true;
          else if (afterArrow && x.isNamed) declared = this.typeOf(x);
        }
      }
    }
    if (!named0 && fn) fn.params.forEach((t, i) => scope.set(`$${i}`, t));
    inner.fn.returns = declared ?? (fn ? fn.ret : null);
    const body = node.namedChildren.find((c) => c.type === 'statements');
    let last = null;
    if (body) {
      last = this.statements(body, inner);
      if (body.namedChildren.length !== 1) last = null;
    }
    const type = declared ?? inner.returns.find((t) => t) ?? last;
    return { type };
  }
}
