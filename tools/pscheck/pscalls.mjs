#!/usr/bin/env node
// pscalls: lists, for each function of a PowerShell script and for its top
// level, the calls it makes in document order, from the tree-sitter syntax
// tree. The DP simulator's drift test (internal/testbed/dpsim) compares them
// with its Go model of the script.
//
//   node pscalls.mjs FILE...   prints {"FILE": {"functions": {NAME: [EVENT...]}, "top": [EVENT...]}}
//
// Events, one per call site, in document order (an outer call before the
// calls in its arguments):
//   "[TYPE]::MEMBER"   a static .NET call, e.g. "[IO.File]::Replace"
//   "$VAR.MEMBER"      a method call on a variable, e.g. "$lock.WaitOne"
//   "new TYPE"         New-Object TYPE
//   "& $VAR"           a native command run with the call operator
//   "cmd NAME"         any other command, "cmd NAME 'LITERAL'" when its first
//                      argument is a string literal (Fail 'busy' ...)
//   "set $VAR 'VALUE'" an assignment of a string literal to a preference
//                      variable ($ErrorActionPreference)
import { readFileSync } from 'node:fs';
import Parser from 'tree-sitter';
import PowerShell from 'tree-sitter-powershell/bindings/node/index.js';

const parser = new Parser();
parser.setLanguage(PowerShell);

function literal(node) {
  if (!node) return null;
  const t = node.text;
  if (node.type === 'string_literal' || /^'[^']*'$/.test(t) || /^"[^"$`]*"$/.test(t)) {
    if (/^(['"]).*\1$/s.test(t)) return t.slice(1, -1);
  }
  return null;
}

// firstArg finds a command's first argument (skipping separators).
function firstArg(cmd) {
  const els = cmd.namedChildren.find((c) => c.type === 'command_elements');
  if (!els) return null;
  for (const c of els.namedChildren) {
    if (c.type === 'command_argument_sep') continue;
    return c;
  }
  return null;
}

function firstDescendant(node, type) {
  if (node.type === type) return node;
  for (const c of node.namedChildren) {
    const d = firstDescendant(c, type);
    if (d) return d;
  }
  return null;
}

function event(node) {
  switch (node.type) {
    case 'invokation_expression': {
      const member = node.namedChildren.find((c) => c.type === 'member_name');
      const head = node.namedChildren[0];
      if (!member || !head) return null;
      if (head.type === 'type_literal') return `${head.text}::${member.text}`;
      if (head.type === 'variable') return `${head.text}.${member.text}`;
      const tl = firstDescendant(head, 'type_literal');
      if (tl) return `${tl.text}::${member.text}`;
      return null;
    }
    case 'command': {
      const name = node.namedChildren.find((c) => c.type === 'command_name');
      if (!name) {
        // the call operator: & $appcmd ...
        const target = node.namedChildren.find((c) => c.type !== 'command_invokation_operator' && c.type !== 'command_elements');
        return `& ${target ? target.text : node.text.split(/\s+/)[1]}`;
      }
      const arg = firstArg(node);
      if (name.text === 'New-Object') return `new ${arg ? arg.text : ''}`;
      const lit = literal(arg && firstDescendant(arg, 'string_literal'));
      const direct = arg && (arg.type === 'string_literal' || firstDescendant(arg, 'string_literal')?.text === arg.text);
      return lit !== null && direct ? `cmd ${name.text} '${lit}'` : `cmd ${name.text}`;
    }
    case 'assignment_expression': {
      const left = node.namedChildren[0];
      if (!left || !/^\$ErrorActionPreference$/i.test(left.text.trim())) return null;
      const right = node.namedChildren[node.namedChildren.length - 1];
      const lit = literal(firstDescendant(right, 'string_literal'));
      return `set ${left.text.trim()} '${lit}'`;
    }
  }
  return null;
}

function collect(node, out, fns) {
  if (node.type === 'function_statement') {
    const name = node.namedChildren.find((c) => c.type === 'function_name').text;
    const body = [];
    for (const c of node.namedChildren) collect(c, body, fns);
    fns[name] = body;
    return;
  }
  const e = event(node);
  if (e) out.push(e);
  for (const c of node.namedChildren) collect(c, out, fns);
}

const result = {};
for (const file of process.argv.slice(2)) {
  const src = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  const tree = parser.parse(src, null, { bufferSize: Math.max(32 * 1024, 2 * src.length + 1) });
  if (tree.rootNode.hasError) {
    console.error(`${file}: syntax errors; run pscheck.mjs`);
    process.exit(1);
  }
  const functions = {};
  const top = [];
  collect(tree.rootNode, top, functions);
  result[file] = { functions, top };
}
console.log(JSON.stringify(result));
