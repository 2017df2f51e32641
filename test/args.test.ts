import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { helpText, parseArgs, UsageError, validateCombination } from '../src/cli/args.js';

function usageError(argv: string[]): string {
  try {
    validateCombination(parseArgs(argv));
  } catch (error) {
    assert.ok(error instanceof UsageError, `a UsageError, not ${String(error)}`);
    return error.message;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
}

void describe('command line', () => {
  void it('reads Airbyte verbs and their files', () => {
    const args = parseArgs(['read', '--config', 'a.json', '--config=b.json', '--catalog', 'c.json', '--state', 's.json', '--debug']);
    assert.equal(args.verb, 'read');
    assert.deepEqual(args.config, ['a.json', 'b.json']);
    assert.equal(args.catalog, 'c.json');
    assert.equal(args.state, 's.json');
    assert.equal(args.debug, true);
    assert.equal(args.discover, false);
  });

  void it('reads Singer flags', () => {
    assert.equal(parseArgs(['--config', 'a.json', '--discover']).discover, true);
    assert.equal(parseArgs(['--about', '--format', 'json']).format, 'json');
    assert.equal(parseArgs(['-h']).help, true);
    assert.equal(parseArgs(['--version']).version, true);
    assert.equal(parseArgs(['--config', 'a.json', '--properties', 'p.json']).properties, 'p.json');
  });

  void it("reads Singer's --test alone, with '=' and with a following value", () => {
    assert.equal(parseArgs(['--config', 'a.json', '--test']).test, 'all');
    assert.equal(parseArgs(['--test', '--config', 'a.json']).test, 'all');
    assert.deepEqual(parseArgs(['--test', '--config', 'a.json']).config, ['a.json']);
    assert.equal(parseArgs(['--config', 'a.json', '--test=schema']).test, 'schema');
    assert.equal(parseArgs(['--config', 'a.json', '--test', 'schema']).test, 'schema');
    assert.match(usageError(['--config', 'a.json', '--test=some']), /--test takes 'all' or 'schema', not 'some'/);
  });

  void it('names what is wrong, in one line', () => {
    assert.equal(usageError(['--bogus']), "unknown option '--bogus'");
    assert.equal(usageError(['check', '--confg', 'a.json']), "unknown option '--confg' (did you mean '--config'?)");
    assert.equal(usageError(['-x']), "unknown option '-x'");
    assert.equal(usageError(['--config']), "option '--config' needs a value");
    assert.equal(usageError(['read', '--config', '--catalog', 'c.json']), "option '--config' needs a value");
    assert.equal(usageError(['read', '--config', 'a.json', '--catalog', 'c.json', '--catalog', 'd.json']), "option '--catalog' is given twice");
    assert.equal(usageError(['--debug=yes']), "option '--debug' takes no value");
    assert.equal(usageError(['frobnicate']), "unknown command 'frobnicate'");
    assert.equal(usageError(['--config', 'a.json', '--', '--test']), "unknown command '--test'");
    assert.equal(usageError(['check', 'read']), "unexpected argument 'read'");
    assert.equal(usageError(['--about', '--format', 'yaml']), "--format takes 'json' or 'markdown', not 'yaml'");
    assert.equal(usageError(['check']), "'check' needs --config FILE");
    assert.equal(usageError(['read', '--config', 'a.json']), "'read' needs --catalog FILE");
    assert.match(usageError(['spec', '--discover']), /Singer flags; do not combine them with 'spec'/);
    assert.equal(usageError(['--config', 'a.json', '--catalog', 'c.json', '--properties', 'p.json']), 'give --catalog or --properties, not both');
    assert.equal(usageError([]), 'missing --config FILE (see --help)');
  });

  void it('a file name may start with a dash when given with =', () => {
    assert.deepEqual(parseArgs(['check', '--config=-odd.json']).config, ['-odd.json']);
  });

  void it('the help lists every command and option', () => {
    const help = helpText('tap-pulumi-cloud');
    for (const word of ['spec', 'check', 'discover', 'read', '--config FILE', '--catalog FILE', '--properties FILE', '--state FILE', '--discover', '--about', '--format json|markdown', '--test', '--debug', '--version', '-h, --help']) {
      assert.ok(help.includes(word), `the help mentions ${word}`);
    }
    assert.match(help, /^Airbyte: {2}tap-pulumi-cloud spec/);
  });
});
