import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { SemanticTokens, SemanticTokensLegend } from 'vscode-languageserver-protocol';
import { EXAMPLES, FIXTURES } from '../helpers';
import { TestClient } from '../lspClient';

/** Decoded tokens as "line:column text type modifiers" (1-based), the way a reader would check them. */
function decode(text: string, tokens: SemanticTokens, legend: SemanticTokensLegend): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  let line = 0;
  let character = 0;
  for (let i = 0; i < tokens.data.length; i += 5) {
    const [deltaLine, deltaChar, length, type, bits] = tokens.data.slice(i, i + 5);
    line += deltaLine;
    character = deltaLine === 0 ? character + deltaChar : deltaChar;
    const modifiers = legend.tokenModifiers.filter((_, bit) => bits & (1 << bit));
    out.push(`${line + 1}:${character + 1} ${lines[line].slice(character, character + length)} ${legend.tokenTypes[type]} ${modifiers.join(',')}`);
  }
  return out;
}

describe('semantic tokens: kptr fields and the ownership state of each variable', function () {
  this.timeout(30000);
  let client: TestClient;
  let legend: SemanticTokensLegend;
  before(async () => {
    client = TestClient.start();
    const init = await client.initialize();
    legend = init.capabilities.semanticTokensProvider!.legend;
  });
  after(async () => client.shutdown());

  async function tokensOf(file: string): Promise<{ text: string; tokens: string[] }> {
    const text = fs.readFileSync(file, 'utf8');
    const uri = await client.open(file, text);
    const result = await client.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } });
    await client.close(uri);
    return { text, tokens: decode(text, result, legend) };
  }

  function lineOf(text: string, needle: string): number {
    const offset = text.indexOf(needle);
    assert.ok(offset >= 0, `${needle} not found`);
    return text.slice(0, offset).split('\n').length;
  }

  it('announces the legend with its custom modifiers', () => {
    assert.deepStrictEqual(legend.tokenTypes, ['variable', 'property']);
    assert.deepStrictEqual(legend.tokenModifiers, ['declaration', 'kptr', 'owned', 'released']);
  });

  it('marks a variable owned before its release and released after it', async () => {
    const { text, tokens } = await tokensOf(path.join(FIXTURES, 'ownership', 'releases.bpf.c'));
    const first = lineOf(text, 'bpf_cpumask_release(mask);\n\tbpf_cpumask_release(mask);');
    assert.ok(tokens.includes(`${first}:22 mask variable owned`), tokens.join('\n'));
    assert.ok(tokens.includes(`${first + 1}:22 mask variable released`), tokens.join('\n'));
  });

  it('marks kptr field declarations and accesses, and leaves borrowed pointers alone', async () => {
    const { text, tokens } = await tokensOf(path.join(EXAMPLES, 'cpumask_per_task.bpf.c'));
    const declaration = lineOf(text, '__kptr *birth_cpu');
    assert.ok(tokens.some((t) => t.startsWith(`${declaration}:`) && t.endsWith('birth_cpu property declaration,kptr')), tokens.join('\n'));
    const xchg = lineOf(text, 'old = bpf_kptr_xchg(&slot->birth_cpu, mask)');
    assert.ok(tokens.includes(`${xchg}:29 birth_cpu property kptr`), tokens.join('\n'));
    assert.ok(tokens.includes(`${xchg}:40 mask variable owned`), tokens.join('\n'));
    // `birth` is an RCU-protected load, not a reference the program owns.
    const rcuLoad = lineOf(text, 'birth = slot->birth_cpu');
    assert.ok(!tokens.some((t) => t.startsWith(`${rcuLoad}:`) && t.includes(' birth variable')), tokens.join('\n'));
  });

  it('answers an empty list for a document it does not know', async () => {
    const result = await client.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri: 'file:///nowhere.bpf.c' } });
    assert.deepStrictEqual(result.data, []);
  });
});
