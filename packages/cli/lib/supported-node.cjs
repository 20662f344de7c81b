'use strict';
// The version gate every command runs before its bundle is even parsed: on an older Node the bundle's modern
// syntax would fail with a dump of minified source. Plain ES5 on purpose, so that any Node runs it. Exit 2 is
// a usage error; 1 would mean "findings" to a pre-commit hook.
var MIN_NODE_MAJOR = 20;

function exitOnUnsupportedNode(command, version, exit) {
  version = version || process.versions.node;
  exit = exit || process.exit;
  if (Number(version.split('.')[0]) >= MIN_NODE_MAJOR) return;
  process.stderr.write(command + ': needs Node.js ' + MIN_NODE_MAJOR + ' or later; this is ' + version + '\n');
  exit(2);
}

module.exports = { MIN_NODE_MAJOR: MIN_NODE_MAJOR, exitOnUnsupportedNode: exitOnUnsupportedNode };
