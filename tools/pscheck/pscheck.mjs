#!/usr/bin/env node
// pscheck: parses PowerShell scripts with the tree-sitter PowerShell grammar
// and reports every syntax error (an ERROR node, or a MISSING node the parser
// had to invent) as FILE:LINE:COLUMN: message, with 1-based line and column.
//
//   node pscheck.mjs FILE...     exit 0: all parse; 1: syntax errors; 2: usage or I/O
//   node pscheck.mjs --version   the grammar and binding versions
//
// Used by the Go tests (internal/testbed/pscheck) on every script the provider sends.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Parser from 'tree-sitter';
import PowerShell from 'tree-sitter-powershell/bindings/node/index.js';

const args = process.argv.slice(2);
if (args[0] === '--version') {
  const require = createRequire(import.meta.url);
  const v = (p) => require(`${p}/package.json`).version;
  console.log(`tree-sitter ${v('tree-sitter')}, tree-sitter-powershell ${v('tree-sitter-powershell')}`);
  process.exit(0);
}
if (args.length === 0 || args.some((a) => a.startsWith('-'))) {
  console.error('usage: node pscheck.mjs FILE...');
  process.exit(2);
}

const parser = new Parser();
parser.setLanguage(PowerShell);

// excerpt shows where the problem is: the start of the node's text, or the
// rest of its line when the node is empty (a MISSING token).
function excerpt(src, node) {
  let text = node.text;
  if (text.trim() === '') {
    text = src.slice(node.startIndex).split('\n')[0];
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

// problems walks the tree depth first. An ERROR node's own children are not
// reported again: the outermost ERROR names the span the parser gave up on.
function problems(src, root) {
  const out = [];
  const cursor = root.walk();
  let descend = true;
  for (;;) {
    const node = cursor.currentNode;
    let skip = false;
    if (descend) {
      if (node.isMissing) {
        out.push({ node, msg: `missing ${JSON.stringify(node.type)}` });
      } else if (node.isError) {
        const near = excerpt(src, node);
        out.push({ node, msg: `syntax error${near ? ` near ${JSON.stringify(near)}` : ' at the end'}` });
        skip = true;
      }
    }
    if (descend && !skip && cursor.gotoFirstChild()) continue;
    if (cursor.gotoNextSibling()) { descend = true; continue; }
    if (!cursor.gotoParent()) break;
    descend = false;
  }
  return out;
}

let failed = 0;
let checked = 0;
for (const file of args) {
  let src;
  try {
    src = readFileSync(file, 'utf8');
  } catch (err) {
    console.error(`${file}: ${err.message}`);
    process.exit(2);
  }
  // PowerShell accepts CRLF and LF alike; the grammar is happiest with LF, and
  // line numbers stay the same.
  src = src.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const tree = parser.parse(src, null, { bufferSize: Math.max(32 * 1024, 2 * src.length + 1) });
  checked++;
  const found = problems(src, tree.rootNode);
  if (tree.rootNode.hasError && found.length === 0) {
    found.push({ node: tree.rootNode, msg: 'syntax error (the parser reports one but no node is marked)' });
  }
  for (const { node, msg } of found) {
    const { row, column } = node.startPosition;
    console.log(`${file}:${row + 1}:${column + 1}: ${msg}`);
  }
  if (found.length > 0) failed++;
}
console.log(`pscheck: ${checked} script(s) parsed, ${failed} with syntax errors`);
process.exit(failed > 0 ? 1 : 0);
