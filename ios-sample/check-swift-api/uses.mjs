// Walks the sample's Swift with a small type inference (annotations, the results of core calls,
// record fields, closure parameters of known calls) and checks each use of the core against the
// generated API:
//
// - a method or static function of a core class (TrellisStore, the handles): it exists, its
//   argument labels are accepted (order, required ones given, none unknown), a throwing one is
//   under `try` and an async one under `await`; a synchronous TrellisStore call runs inside an
//   `offMain { }` closure, never on the caller's (main) actor;
// - a record initializer: the same label rules;
// - an enum case, written `.case` where the type is known or `Enum.case`, in expressions and in
//   `switch` / `if case` / `catch` patterns (with the number of associated values);
// - a record field read (`detail.contact.name`, `$0.organizationId`, `\.current`);
// - a sample type adopting a core protocol (the listener) implements each of its methods;
// - a call of the sample's own async or throwing function or method (a model's `refresh()`)
//   is under `await` / `try`, so the views keep up with the models;
// - the records and enums the sample hands across actors are Sendable on Swift 5.9 too: the
//   generated Swift declares them Sendable only `#if compiler(>=6)`, so the sample declares the
//   rest under `#if !compiler(>=6)`.
//
// This file: declarations, statements and patterns, and the Sendable check at the end;
// expressions.mjs: expressions and calls; rules.mjs: labels, try/await coverage, offMain.
import { Expressions, Scope } from './expressions.mjs';
import { BOOL, array, bare, fields, named, sigText, unwrap } from './swift.mjs';

export class Checker extends Expressions {
  // ---- files and declarations -----------------------------------------------------------

  file(file) {
    this.path = file.path;
    const ctx = this.context(null);
    for (const node of file.tree.rootNode.namedChildren) this.declaration(node, ctx);
  }

  declaration(node, ctx) {
    switch (node.type) {
      case 'class_declaration':
      case 'protocol_declaration': {
        const nameNode = node.childForFieldName('name');
        const name = nameNode ? bare(nameNode.text).split('.').pop() : null;
        const inner = this.context(name);
        this.conformances(node, name);
        const body = node.childForFieldName('body');
        for (const m of body ? body.namedChildren : []) this.declaration(m, inner);
        return;
      }
      case 'function_declaration':
      case 'init_declaration': {
        const scope = new Scope(ctx.scope);
        const { params, returns } = this.params(node, scope);
        const body = node.childForFieldName('body');
        if (body) this.statements(body, { ...ctx, scope, fn: { returns, params } });
        return;
      }
      case 'property_declaration':
        this.property(node, ctx, ctx.scope);
        return;
      default:
        this.visit(node, ctx);
    }
  }

  /** Binds a function's parameters in `scope`; returns its parameter and return types. */
  params(node, scope) {
    const params = [];
    let returns = null;
    let afterArrow = false;
    for (const c of node.namedChildren) {
      if (c.type === 'parameter') {
        const name = c.childForFieldName('name');
        const typeNode = c.childrenForFieldName('name').find((x) => x.type !== 'simple_identifier');
        let type = typeNode ? this.typeOf(typeNode) : null;
        if (c.children.some((x) => x.type === '...')) type = array(type);
        if (name) scope.set(bare(name.text), type);
        params.push(type);
      }
    }
    for (const c of node.children) {
      if (c.type === '->') afterArrow = true;
      else if (afterArrow && c.isNamed && !returns && c.type !== 'function_body') returns = this.typeOf(c);
    }
    return { params, returns };
  }

  property(node, ctx, scope) {
    let current = null;
    for (const { node: c, field } of fields(node)) {
      if (field === 'name' && c.type === 'pattern') {
        const id = c.childForFieldName('bound_identifier');
        current = { name: id ? bare(id.text) : null, type: null };
      } else if (current && c.type === 'type_annotation') {
        current.type = this.typeOf(c.namedChildren[c.namedChildren.length - 1]);
        this.use(current.type);
      } else if (current && field === 'value') {
        const t = this.expr(c, ctx, current.type);
        current.type = current.type ?? t;
      } else if (current && field === 'computed_value') {
        this.statements(c, this.inner(ctx, { fn: { returns: current.type, params: [] } }));
      } else if (c.isNamed && c.type !== 'modifiers' && c.type !== 'value_binding_pattern') {
        this.visit(c, this.inner(ctx));
      }
      if (current && current.name && (field === 'value' || c.type === 'type_annotation')) scope.set(current.name, current.type);
    }
  }

  /** A sample type adopting a core protocol implements each of its methods with the same labels. */
  conformances(node, name) {
    const entry = name && this.sample.types.get(name);
    if (!entry) return;
    const own = node.namedChildren
      .filter((c) => c.type === 'inheritance_specifier')
      .map((c) => bare(c.text).split('.').pop());
    for (const proto of own) {
      const p = this.core(proto);
      if (!p || p.kind !== 'protocol' || p.methods.size === 0) continue;
      this.count('conformances');
      this.used.add(proto);
      for (const sigs of p.methods.values()) {
        for (const sig of sigs) {
          const mine = entry.methods.get(sig.name) ?? [];
          if (!mine.some((m) => sigText(m) === sigText(sig))) {
            this.problem(node, `${name} adopts ${proto} but does not implement ${sigText(sig)}${mine.length ? ` (it has ${mine.map(sigText).join(', ')})` : ''}`);
          }
          for (const prm of sig.params) this.use(prm.type);
        }
      }
    }
  }

  // ---- statements -------------------------------------------------------------------------

  statements(node, ctx) {
    let last = null;
    for (const c of node.namedChildren) last = this.statement(c, ctx);
    return last;
  }

  statement(node, ctx) {
    switch (node.type) {
      case 'property_declaration':
        this.property(node, ctx, ctx.scope);
        return null;
      case 'function_declaration':
      case 'class_declaration':
        this.declaration(node, ctx);
        return null;
      case 'if_statement':
      case 'guard_statement':
      case 'while_statement':
        this.conditional(node, ctx);
        return null;
      case 'switch_statement':
        this.switchStatement(node, ctx);
        return null;
      case 'for_statement': {
        const inner = this.inner(ctx);
        const collection = node.childForFieldName('collection');
        const t = collection ? unwrap(this.expr(collection, ctx, null)) : null;
        const item = node.childForFieldName('item');
        const id = item && item.childForFieldName('bound_identifier');
        if (id) inner.scope.set(bare(id.text), t && t.k === 'array' ? t.of : null);
        for (const c of node.namedChildren) if (c.type === 'statements') this.statements(c, inner);
        return null;
      }
      case 'do_statement':
        for (const c of node.namedChildren) {
          if (c.type === 'statements') this.statements(c, this.inner(ctx));
          else if (c.type === 'catch_block') {
            const inner = this.inner(ctx);
            inner.scope.set('error', named('Error'));
            const pattern = c.childForFieldName('error');
            if (pattern) this.pattern([...pattern.children], null, inner.scope, pattern);
            for (const s of c.namedChildren) if (s.type === 'statements') this.statements(s, inner);
          }
        }
        return null;
      case 'control_transfer_statement': {
        const result = node.childForFieldName('result');
        if (result) {
          const t = this.expr(result, ctx, ctx.fn ? ctx.fn.returns : null);
          if (ctx.returns) ctx.returns.push(t);
        }
        return null;
      }
      case 'assignment': {
        const target = node.childForFieldName('target');
        const t = target && target.namedChildren[0] ? this.expr(target.namedChildren[0], ctx, null) : null;
        const result = node.childForFieldName('result');
        if (result) this.expr(result, ctx, t);
        return null;
      }
      default:
        return this.expr(node, ctx, null);
    }
  }

  /** `if` / `guard` / `while` conditions: `let x = e`, `let x`, `case .c(let a) = e`, boolean tests. */
  conditional(node, ctx) {
    const guard = node.type === 'guard_statement';
    const scope = guard ? ctx.scope : new Scope(ctx.scope);
    const cctx = { ...ctx, scope };
    const kids = fields(node);
    for (let i = 0; i < kids.length; i++) {
      const { node: c, field } = kids[i];
      if (field !== 'condition' && c.type !== 'bound_identifier' && c.type !== 'simple_identifier') {
        if (c.type === 'statements') this.statements(c, guard ? this.inner(ctx) : this.inner(cctx));
        else if (c.type === 'if_statement') this.conditional(c, ctx);
        continue;
      }
      if (c.type === 'value_binding_pattern') {
        const id = kids[i + 1] && kids[i + 1].node;
        if (!id || id.type !== 'simple_identifier') continue;
        const name = bare(id.text);
        i++;
        if (kids[i + 1] && kids[i + 1].node.type === '=') {
          const t = this.expr(kids[i + 2].node, cctx, null);
          scope.set(name, unwrap(t));
          i += 2;
        } else {
          scope.set(name, unwrap(this.lookup(name, ctx)));
        }
      } else if (c.type === 'case') {
        const pattern = [];
        let j = i + 1;
        while (j < kids.length && kids[j].node.type !== '=') pattern.push(kids[j++].node);
        const value = kids[j + 1] && kids[j + 1].node;
        const t = value ? this.expr(value, cctx, null) : null;
        this.pattern(pattern, t, scope, c);
        i = j + 1;
      } else if (c.isNamed) {
        this.expr(c, cctx, BOOL);
      }
    }
  }

  switchStatement(node, ctx) {
    const subject = node.childForFieldName('expr');
    const t = subject ? this.expr(subject, ctx, null) : null;
    for (const entry of node.namedChildren.filter((c) => c.type === 'switch_entry')) {
      const inner = this.inner(ctx);
      for (const c of entry.namedChildren) {
        if (c.type === 'switch_pattern') {
          const p = c.namedChildren[0];
          if (p) this.pattern(p.type === 'pattern' ? [...p.children] : [p], t, inner.scope, p);
        } else if (c.type === 'statements') this.statements(c, inner);
        else if (c.type !== 'default_keyword' && c.type !== 'where_keyword') this.expr(c, inner, BOOL);
      }
    }
  }

  /**
   * A pattern given as its pieces (`.`, a case name, `(`, sub-patterns, `)`, or `Type`, `.`,
   * name): checks the case against `subject` (or the named type) and the number of associated
   * values, and binds the names it introduces.
   */
  pattern(pieces, subject, scope, at) {
    pieces = pieces.filter((p) => p.type !== 'value_binding_pattern' || pieces.length === 1);
    if (pieces.length === 1 && pieces[0].type === 'pattern') pieces = [...pieces[0].children];
    const dot = pieces.findIndex((p) => p.type === '.');
    const nameNode = dot >= 0 ? pieces[dot + 1] : null;
    if (!nameNode || nameNode.type !== 'simple_identifier') {
      for (const p of pieces) this.bindAll(p, null, scope);
      return;
    }
    let type = unwrap(subject);
    if (dot > 0 && pieces[dot - 1].type === 'user_type') type = named(bare(pieces[dot - 1].text).split('.').pop());
    const name = bare(nameNode.text);
    const subs = pieces.slice(dot + 2).filter((p) => p.type === 'pattern' || p.type === 'wildcard_pattern');
    let assoc = null;
    if (this.coreKind(type) === 'enum') {
      const e = this.core(type.name);
      this.count('cases');
      this.used.add(type.name);
      const c = e.cases.get(name);
      if (!c) {
        this.problem(nameNode, `${type.name} has no case ${name} (it has ${[...e.cases.keys()].join(', ')})`);
      } else {
        assoc = c.params ?? [];
        if (subs.length && subs.length !== assoc.length) {
          this.problem(nameNode, `${type.name}.${name} has ${assoc.length} associated values, the pattern binds ${subs.length}`);
        }
      }
    } else if (type && type.k === 'named' && type.name === 'Result') {
      assoc = [{ type: name === 'success' ? type.args[0] : type.args[1] }];
    }
    subs.forEach((p, i) => this.bindAll(p, assoc && assoc[i] ? assoc[i].type : null, scope));
  }

  bindAll(node, type, scope) {
    if (!node || !node.isNamed) return;
    const id = node.childForFieldName && node.childForFieldName('bound_identifier');
    if (id) scope.set(bare(id.text), type);
    else for (const c of node.namedChildren) if (c.type === 'pattern') this.bindAll(c, null, scope);
  }

  // ---- the end ------------------------------------------------------------------------------

  /** Records and enums the sample uses, with those reachable through their fields and cases. */
  reachable() {
    const seen = new Set();
    const queue = [...this.used];
    const addType = (t) => {
      if (!t) return;
      if (t.k === 'named' && this.core(t.name) && !seen.has(t.name)) queue.push(t.name);
      if (t.k === 'named') t.args.forEach(addType);
      if (t.k === 'optional' || t.k === 'array') addType(t.of);
      if (t.k === 'dict') {
        addType(t.key);
        addType(t.value);
      }
    };
    while (queue.length) {
      const name = queue.pop();
      if (seen.has(name)) continue;
      seen.add(name);
      const t = this.core(name);
      for (const p of t.props.values()) addType(p.type);
      for (const c of t.cases.values()) for (const p of c.params ?? []) addType(p.type);
    }
    return seen;
  }

  /** The Sendable conformances the sample adds for compilers before Swift 6. */
  finish() {
    const norm = (s) => s.replace(/\s+/g, '');
    const guarded = new Map();
    for (const e of this.api.extensions) {
      if (e.inherits.includes('Sendable') && e.conditions.length) guarded.set(e.name, e.conditions.map(norm));
    }
    const isError = (name) => this.core(name)?.inherits.includes('Error');
    const declared = new Map();
    for (const e of this.sample.extensions) {
      if (!e.inherits.includes('Sendable') || !this.core(e.name)) continue;
      this.path = e.file;
      declared.set(e.name, e);
      const conds = guarded.get(e.name);
      if (isError(e.name)) this.problem(e.node, `${e.name} is an Error, Sendable already: drop this conformance`);
      else if (!conds) this.problem(e.node, `the generated Swift declares ${e.name} Sendable for every compiler: this conformance would be redundant`);
      else {
        const mine = e.conditions.map(norm);
        const wanted = conds.map((c) => [`!${c}`, `!(${c})`]);
        if (mine.length !== 1 || !wanted.some((w) => w.includes(mine[0]))) {
          this.problem(e.node, `${e.name}: the generated Swift declares it Sendable under #if ${conds.join(' && ')}, so this conformance belongs under #if !${conds[0]} (it is under ${mine.length ? `#if ${mine.join(' && ')}` : 'no #if'})`);
        }
      }
      if (!e.unchecked) this.problem(e.node, `${e.name}: a Sendable conformance outside the type's own file must be @unchecked Sendable`);
    }
    const anchor = [...declared.values()][0];
    for (const name of [...this.reachable()].sort()) {
      if (!guarded.has(name) || isError(name) || declared.has(name)) continue;
      const kind = this.coreKind(named(name));
      if (kind !== 'record' && kind !== 'enum') continue;
      if (anchor) {
        this.path = anchor.file;
        this.problem(anchor.node, `the sample uses ${name}, which the generated Swift makes Sendable only on Swift 6 compilers: add \`extension ${name}: @unchecked Sendable {}\` beside this one`);
      } else {
        this.report('(sample)', { startPosition: { row: 0, column: 0 } }, `the sample uses ${name}, which the generated Swift makes Sendable only on Swift 6 compilers: declare \`extension ${name}: @unchecked Sendable {}\` under #if !compiler(>=6)`);
      }
    }
  }
}
