import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { REPO_ROOT } from '../helpers';
import { EngineHost, fuzz, LspSession, sleep, startServer, tempDir, uriOf } from './harness';

/**
 * Memory stays flat over long sessions: opening, editing and closing
 * thousands of documents, and editing one large function hundreds of times
 * (every version of a function body is a new cache entry for the body
 * lowering). The server runs with a small heap, so a leak is an out-of-memory
 * crash, not a slow drift that a threshold might miss.
 */

const EXAMPLES = path.join(REPO_ROOT, 'examples');
const MB = 1024 * 1024;

function functionOfLines(lines: number, tail: string): string {
  const body = Array.from({ length: lines }, (_, i) => `\tx += ${i};`).join('\n');
  return `SEC("tp/syscalls/sys_enter_getpid")\nint long_function(void *ctx)\n{\n\tint x = 0;\n${body}\n\treturn x${tail};\n}\n`;
}

describe('robustness: memory over long sessions', function () {
  this.timeout(300000);

  it('the library: 250 versions of a 1,500-line function in a 128 MB heap', async () => {
    const { EngineHost: Host } = await fuzz();
    const host: EngineHost = new Host({ timeoutMs: 120000, maxOldSpaceMb: 128 });
    try {
      const versions = Array.from({ length: 250 }, (_, i) => functionOfLines(1500, ` + ${i}`));
      const reply = await host.check({ file: path.join(EXAMPLES, 'long-function.bpf.c'), versions }, 120000);
      assert.ok(!reply.died, `the analysis ran out of memory: ${reply.error?.stack?.split('\n').filter((l) => /heap|memory|Error/i.test(l)).slice(0, 3).join(' | ')}`);
      assert.ok(reply.ok, `${reply.error?.name}: ${reply.error?.message}`);
      assert.ok(reply.heapUsed! < 100 * MB, `heap after 250 versions: ${Math.round(reply.heapUsed! / MB)} MB`);
    } finally {
      await host.stop();
    }
  });

  it('the library: no version of a document outlives it (120 programs, 400 edits, each to another program)', () => {
    // Names and keys cut from a version's text were views into it (V8 sliced strings), so every
    // item carried over unchanged kept the whole text of the version it was read in.
    const probe = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'heapProbe.js'), '120', '400'], { encoding: 'utf8', timeout: 120000 });
    assert.strictEqual(probe.status, 0, probe.stderr);
    const { opened, edited, textBytes } = JSON.parse(probe.stdout) as { opened: number; edited: number; textBytes: number };
    assert.ok(edited - opened < 3 * MB, `the heap grew by ${((edited - opened) / MB).toFixed(1)} MB over 400 edits of a ${Math.round(textBytes / 1024)} KB document`);
  });

  describe('the server', () => {
    let server: LspSession;
    afterEach(async () => server?.shutdown());

    it('2,000 documents opened, edited and closed: resident memory stays flat', async () => {
      server = await startServer({ nodeArgs: ['--max-old-space-size=192'] });
      const texts = fs
        .readdirSync(EXAMPLES)
        .filter((f) => f.endsWith('.bpf.c'))
        .map((f) => fs.readFileSync(path.join(EXAMPLES, f), 'utf8'));
      const cycle = async (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const uri = uriOf(path.join(EXAMPLES, `memory-${process.pid}-${i}.bpf.c`));
          const text = texts[i % texts.length];
          server.open(uri, text);
          server.edit(uri, 0, 0, `// edit ${i}\n`);
          server.edit(uri, text.length, text.length, '\nint trailing;\n');
          if (i % 25 === 0) await server.diagnosticsOfCurrent(uri, 60000);
          server.close(uri);
          if (i % 25 === 0) server.published.length = 0;
        }
        const probe = uriOf(path.join(EXAMPLES, `memory-probe-${process.pid}-${to}.bpf.c`));
        server.open(probe, texts[0]);
        await server.diagnosticsOfCurrent(probe, 60000);
        server.close(probe);
        await sleep(300);
        return server.memory()?.rss ?? 0;
      };
      await cycle(0, 300);
      const warm = await cycle(300, 600);
      const end = await cycle(600, 2000);
      assert.ok(server.alive, 'the server died');
      if (warm > 0) assert.ok(end - warm < 40 * MB, `resident memory grew by ${Math.round((end - warm) / MB)} MB over 1,400 more documents (from ${Math.round(warm / MB)} MB)`);
    });

    it('150 files (70,000 lines) open: at rest the server holds under 100 MB (with every document analysed it holds about 180)', async () => {
      // Only the documents used last stay analysed; the idle collections then give the burst's memory back.
      const generator = (await import(pathToFileURL(path.join(REPO_ROOT, 'scripts', 'bench', 'generate.mjs')).href)) as {
        writeDirectory(dir: string, options: { files?: number; total?: number }): string[];
      };
      const lab = tempDir();
      try {
        const files = generator.writeDirectory(lab.dir, { files: 150, total: 70000 });
        server = await startServer();
        const uris = files.map((file) => uriOf(file));
        files.forEach((file, i) => server.open(uris[i], fs.readFileSync(file, 'utf8')));
        for (const uri of uris) await server.diagnosticsOfCurrent(uri, 120000);
        await sleep(10000);
        const rss = server.memory()?.rss ?? 0;
        assert.ok(server.alive, 'the server died');
        if (rss > 0) assert.ok(rss < 100 * MB, `at rest with 150 files open the server holds ${Math.round(rss / MB)} MB`);
      } finally {
        lab.remove();
      }
    });

    it('150 edits inside one 1,500-line function: memory levels off (and the server survives in a 128 MB heap)', async () => {
      server = await startServer({ nodeArgs: ['--max-old-space-size=128'] });
      const uri = uriOf(path.join(EXAMPLES, `memory-long-${process.pid}.bpf.c`));
      server.open(uri, functionOfLines(1500, ''));
      await server.diagnosticsOfCurrent(uri, 60000);
      const edit = async (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          server.editTo(uri, functionOfLines(1500, ` + ${i}`));
          await server.diagnosticsOfCurrent(uri, 60000);
        }
        return server.memory()?.rss ?? 0;
      };
      const warm = await edit(0, 75);
      const end = await edit(75, 150);
      assert.ok(server.alive, 'the server died (out of memory?)');
      if (warm > 0) assert.ok(end - warm < 30 * MB, `resident memory grew by ${Math.round((end - warm) / MB)} MB over the last 75 edits (from ${Math.round(warm / MB)} MB): every version is kept`);
    });
  });
});
