// The benchmark's report: a table on the terminal, the same as Markdown, and the targets checked.

const OURS = 'bpf-kptr';
const CLANGD = 'clangd';

const fmtNum = (x, digits) => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  return x.toFixed(digits ?? (Math.abs(x) >= 10 ? 1 : 2));
};
const ms = (s) => (s && s.n ? `${fmtNum(s.median)} / ${fmtNum(s.p95)} ms` : '—');
const msOne = (x) => (Number.isFinite(x) ? `${fmtNum(x)} ms` : '—');
const mib = (x) => (Number.isFinite(x) ? `${fmtNum(x, 1)} MiB` : '—');
/** How many times better bpf-kptr is (lower is better for `a` and `b`). */
const ratio = (ours, theirs) => {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || ours <= 0) return '';
  const r = theirs / ours;
  return `${r >= 1 ? fmtNum(r, 1) : r.toFixed(2)}×`;
};

/** Results before the at-rest reading was added measured memory 2 s after the work. */
const restLabel = (x) => `${(x?.restMs ?? 2000) / 1000} s idle`;
const soonLabel = (x) => `${(x?.soonMs ?? 2000) / 1000} s after`;

const KIND_LABEL = { tag: 'kptr tags', kfunc: 'kfunc names', field: 'kptr fields', variable: 'variables' };

/** Rows of [figure, ours, clangd, advantage] for one file group. */
function focusRows(fr) {
  const o = fr.servers[OURS] ?? {};
  const c = fr.servers[CLANGD];
  const rows = [];
  const row = (label, fo, fc, adv) => rows.push([label, fo, c ? fc : undefined, c ? adv : undefined]);
  row('spawn → initialize answered (med / p95)', ms(o.spawnToInit), ms(c?.spawnToInit), ratio(o.spawnToInit?.median, c?.spawnToInit?.median));
  row('didOpen → diagnostics, fresh server', ms(o.openCold), ms(c?.openCold), ratio(o.openCold?.median, c?.openCold?.median));
  row('didOpen → diagnostics, warm server', ms(o.openWarm), ms(c?.openWarm), ratio(o.openWarm?.median, c?.openWarm?.median));
  row('edit → diagnostics (with debounce)', ms(o.edit), ms(c?.edit), ratio(o.edit?.median, c?.edit?.median));
  if (o.serverCompute) row('  server compute per edit (server-reported)', ms(o.serverCompute), '', '');
  if (o.libraryCompute) row('  server compute per edit (library, in-process)', ms(o.libraryCompute), '', '');
  if (o.editMinusDebounce) row('  edit → diagnostics minus the 75 ms debounce', ms(o.editMinusDebounce), '', '');
  row(`hover, ${o.hover?.all?.n ?? 0} positions`, ms(o.hover?.all), ms(c?.hover?.all), ratio(o.hover?.all?.median, c?.hover?.all?.median));
  for (const kind of Object.keys(KIND_LABEL)) {
    const ko = o.hover?.byKind?.[kind];
    const kc = c?.hover?.byKind?.[kind];
    if (!ko && !kc) continue;
    const answered = (k) => (k ? ` (${k.answered}/${k.n} answered)` : '');
    row(`  on ${KIND_LABEL[kind]}`, ms(ko) + answered(ko), ms(kc) + answered(kc), ratio(ko?.median, kc?.median));
  }
  const comp = (x) => (!x ? '—' : x.unsupported ? 'not implemented' : ms(x.all));
  row(`completion${o.completion?.all ? `, ${o.completion.all.n} positions` : c?.completion?.all ? `, ${c.completion.all.n} positions` : ''}`, comp(o.completion), comp(c?.completion), ratio(o.completion?.all?.median, c?.completion?.all?.median));
  row('RSS after initialize, no file open (median)', mib(o.rssIdleMiB?.median), mib(c?.rssIdleMiB?.median), ratio(o.rssIdleMiB?.median, c?.rssIdleMiB?.median));
  row('RSS after opening (fresh server, median)', mib(o.rssAfterOpenMiB?.median), mib(c?.rssAfterOpenMiB?.median), ratio(o.rssAfterOpenMiB?.median, c?.rssAfterOpenMiB?.median));
  row('diagnostics published (errors)', `${o.diagnostics ?? '—'} (${o.errors ?? '—'})`, c ? `${c.diagnostics ?? '—'} (${c.errors ?? '—'})` : '', '');
  if (o.error || c?.error) row('FAILED', o.error ?? '', c?.error ?? '', '');
  return rows;
}

function directoryRows(wr) {
  const d = wr.directory;
  const o = d.servers[OURS] ?? {};
  const c = d.servers[CLANGD];
  const rows = [];
  // The clangd column exists when clangd ran on this directory or `clangd --check` did.
  const withClangd = Boolean(c || d.clangdCheck);
  const row = (label, fo, fc, adv) => rows.push([label, fo, withClangd ? fc : undefined, withClangd ? adv : undefined]);
  row(`open all ${o.files} files → every file's diagnostics`, msOne(o.openAllMs), msOne(c?.openAllMs), ratio(o.openAllMs, c?.openAllMs));
  if (o.rssOpenSoonMiB !== undefined) row(`RSS with every file open, ${soonLabel(o)}`, mib(o.rssOpenSoonMiB), mib(c?.rssOpenSoonMiB), ratio(o.rssOpenSoonMiB, c?.rssOpenSoonMiB));
  row(`RSS with every file open, at rest (${restLabel(o)})`, mib(o.rssOpenMiB), mib(c?.rssOpenMiB), ratio(o.rssOpenMiB, c?.rssOpenMiB));
  if (o.edits !== undefined) {
    const growth = (x) => (x && x.edits !== undefined ? `${mib(x.rssAfterMiB)} (${x.growthPct >= 0 ? '+' : ''}${fmtNum(x.growthPct, 1)}%, ${x.edits.toLocaleString('en-US')} edits)` : '—');
    if (o.rssAfterSoonMiB !== undefined) row(`RSS after the edits, ${soonLabel(o)}`, mib(o.rssAfterSoonMiB), mib(c?.rssAfterSoonMiB), ratio(o.rssAfterSoonMiB, c?.rssAfterSoonMiB));
    row(`RSS after the edits, at rest (${restLabel(o)}; growth)`, growth(o), growth(c), ratio(o.rssAfterMiB, c?.rssAfterMiB));
    row('highest RSS sampled during the edits', mib(o.maxSampleMiB), mib(c?.maxSampleMiB), '');
    row('edit → diagnostics during the edits (med / p95)', ms(o.editLatency), ms(c?.editLatency), ratio(o.editLatency?.median, c?.editLatency?.median));
  }
  if (o.error || c?.error) row('FAILED', o.error ?? '', c?.error ?? '', '');
  if (d.lint?.error) row('CLI FAILED', d.lint.error, undefined, undefined);
  if (d.lint && !d.lint.error) {
    const cc = d.clangdCheck && !d.clangdCheck.error ? d.clangdCheck : undefined;
    row(
      `CLI over ${d.lint.files} files, ${d.lint.lines.toLocaleString('en-US')} lines: wall (med / p95)`,
      ms(d.lint.wallMs),
      cc ? `${msOne(cc.projectedWallMs)}${cc.projected ? ` (projected from ${cc.files} files)` : ''}` : undefined,
      cc ? ratio(d.lint.wallMs.median, cc.projectedWallMs) : undefined,
    );
    row('CLI lines per second', d.lint.linesPerSec.toLocaleString('en-US'), cc ? cc.linesPerSec.toLocaleString('en-US') : undefined, cc ? `${fmtNum(d.lint.linesPerSec / cc.linesPerSec, 1)}×` : undefined);
  }
  return rows;
}

function textTable(rows, headers) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells) => '   ' + cells.map((cell, i) => (cell ?? '').padEnd(widths[i])).join('   ').trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

function mdTable(rows, headers) {
  const esc = (s) => (s ?? '').replace(/\|/g, '\\|');
  const cell = (r, i) => esc(i === 0 ? (r[0] ?? '').replace(/^ {2}/, '↳ ') : r[i]);
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${headers.map((_, i) => cell(r, i)).join(' | ')} |`)].join('\n');
}

/** The fixed reference workload of machineSpeed.mjs, timed before and after the run. */
function referenceShown(reference) {
  const one = (r) => (r ? `${fmtNum(r.median)} ms (${fmtNum(r.min)}–${fmtNum(r.max)})` : '—');
  return `the reference workload took ${one(reference.before)} before the run and ${one(reference.after)} after it (lower is faster)`;
}

function headersFor(results) {
  const c = results.servers.clangd;
  return c ? ['figure', OURS, `clangd ${c.version}`, 'bpf-kptr ahead by'] : ['figure', OURS];
}

export function formatReport(results) {
  const out = [];
  const m = results.machine;
  out.push(`\nbpf-kptr benchmark · ${results.date} · ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB · Node ${m.node} · ${m.os} ${m.kernel}`);
  if (results.source) out.push(`source: ${results.source.commit.slice(0, 12)}${results.source.dirty ? ' with uncommitted changes to server/' : ''}`);
  if (m.referenceMs) out.push(`machine speed: ${referenceShown(m.referenceMs)}`);
  const headers = headersFor(results);
  for (const wr of results.workloads) {
    out.push(`\n== ${wr.id} · ${wr.label} · ${wr.files} files, ${wr.lines.toLocaleString('en-US')} lines · load average ${fmtNum(wr.loadAverage?.start, 1)} → ${fmtNum(wr.loadAverage?.end, 1)}`);
    if (results.servers.clangd) out.push(`   clangd: ${wr.clangdConfig}; vmlinux.h: ${wr.vmlinux}`);
    for (const fr of wr.focus) {
      out.push(`\n   ${fr.label} · ${fr.lines.toLocaleString('en-US')} lines`);
      out.push(textTable(focusRows(fr), headers));
    }
    if (wr.directory) {
      out.push(`\n   the whole directory`);
      out.push(textTable(directoryRows(wr), headers));
    }
    if (wr.profile?.error) out.push(`\n   profile FAILED: ${wr.profile.error}`);
    else if (wr.profile) out.push(formatProfile(wr.profile));
  }
  const busiest = Math.max(...results.workloads.flatMap((w) => [w.loadAverage?.start ?? 0, w.loadAverage?.end ?? 0]));
  if (busiest > m.cores) out.push(`\nWARNING: the load average reached ${fmtNum(busiest, 1)} on ${m.cores} cores: other processes competed for the CPU, and times are inflated.`);
  out.push('\nTargets (2-core machine, medians unless stated)');
  for (const t of results.targets) out.push(`   ${t.met === true ? 'MET   ' : t.met === false ? 'MISSED' : 'n/a   '} ${t.what}: ${t.shown} (target ${t.limitShown})${t.note ? ` · ${t.note}` : ''}`);
  if (results.elapsedSeconds !== undefined) out.push(`\n${results.elapsedSeconds} s in all.`);
  return out.join('\n') + '\n';
}

function formatProfile(p) {
  const out = [];
  const phases = (ph) => Object.entries(ph).map(([k, v]) => `${k} ${fmtNum(v.median)} ms`).join(', ');
  out.push(`\n   profile: ${p.edits.count} edits of ${p.edits.file} (medians: ${phases(p.edits.phases)}); ${p.edits.cpuprofile}`);
  out.push(`     self time by source: ${p.edits.profile.bySource.slice(0, 8).map((s) => `${s.source} ${s.pct}%`).join(', ')}`);
  out.push(`     self time by function: ${p.edits.profile.self.slice(0, 12).map((s) => `${s.name} ${s.pct}%`).join(', ')}`);
  out.push(`     inclusive: ${p.edits.profile.inclusive.slice(0, 14).map((s) => `${s.name} ${s.pct}%`).join(', ')}`);
  out.push(`   profile: opening ${p.opens.files} files, ${fmtNum(p.opens.sumMs)} ms (medians: ${phases(p.opens.phases)}); ${p.opens.cpuprofile}`);
  out.push(`     self time by source: ${p.opens.profile.bySource.slice(0, 8).map((s) => `${s.source} ${s.pct}%`).join(', ')}`);
  out.push(`     self time by function: ${p.opens.profile.self.slice(0, 12).map((s) => `${s.name} ${s.pct}%`).join(', ')}`);
  out.push(`     inclusive: ${p.opens.profile.inclusive.slice(0, 14).map((s) => `${s.name} ${s.pct}%`).join(', ')}`);
  if (p.hovers) {
    out.push(`   profile: ${p.hovers.count} hovers in ${p.hovers.file} (in-process: median ${fmtNum(p.hovers.ms.median)} ms, p95 ${fmtNum(p.hovers.ms.p95)} ms, max ${fmtNum(p.hovers.ms.max)} ms); ${p.hovers.cpuprofile}`);
    out.push(`     slowest: ${p.hovers.slowest.map((h) => `${fmtNum(h.ms)} ms at ${h.at}`).join(' | ')}`);
    out.push(`     inclusive: ${p.hovers.profile.inclusive.slice(0, 14).map((s) => `${s.name} ${s.pct}%`).join(', ')}`);
  }
  return out.join('\n');
}

export function formatMarkdown(results) {
  const m = results.machine;
  const out = [];
  out.push(`Measured with \`${results.command}\` on ${results.date.slice(0, 10)}: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Linux ${m.kernel}, Node ${m.node}.`);
  if (m.referenceMs) out.push(`Machine speed: ${referenceShown(m.referenceMs)}.`);
  if (results.servers.clangd) out.push(`clangd: \`${results.servers.clangd.command}\` (${results.servers.clangd.version}).`);
  out.push('Times are median / p95 over the runs; "bpf-kptr ahead by" is clangd\'s median over ours.');
  const headers = headersFor(results);
  for (const wr of results.workloads) {
    out.push(`\n#### ${wr.id}: ${wr.label} (${wr.files} files, ${wr.lines.toLocaleString('en-US')} lines)\n`);
    if (results.servers.clangd) out.push(`clangd flags: \`${wr.clangdFlags.join(' ')}\` (${wr.clangdConfig}); vmlinux.h: ${wr.vmlinux}. Load average ${fmtNum(wr.loadAverage?.start, 1)} → ${fmtNum(wr.loadAverage?.end, 1)}.\n`);
    for (const fr of wr.focus) {
      out.push(`${fr.label} (${fr.lines.toLocaleString('en-US')} lines)\n`);
      out.push(mdTable(focusRows(fr), headers) + '\n');
    }
    if (wr.directory) {
      out.push('The whole directory\n');
      out.push(mdTable(directoryRows(wr), headers) + '\n');
    }
  }
  out.push('\n#### Targets\n');
  out.push(mdTable(results.targets.map((t) => [t.what, t.limitShown, t.shown, t.met === true ? 'met' : t.met === false ? 'missed' : 'not measured', t.note ?? '']), ['target', 'limit', 'measured', '', 'note']));
  return out.join('\n') + '\n';
}

/** The issue's targets, checked on this run's figures. */
export function checkTargets(results) {
  const wl = (id) => results.workloads.find((w) => w.id === id);
  const ours = (id) => wl(id)?.focus[0]?.servers[OURS];
  const dir = wl('gen-dir150')?.directory;
  const t = [];
  const add = (what, limit, unit, value, note, cmp = (v) => v < limit) => {
    const shown = Number.isFinite(value) ? `${fmtNum(value)}${unit}` : 'not measured';
    t.push({ what, limit, limitShown: `< ${limit}${unit}`, value: Number.isFinite(value) ? value : null, shown, met: Number.isFinite(value) ? cmp(value) : null, note });
  };
  const f5 = ours('gen-5k');
  add('5,000-line file: didOpen → diagnostics, fresh server', 40, ' ms', f5?.openCold?.median, f5 ? `warm server: ${fmtNum(f5.openWarm?.median)} ms` : 'gen-5k not run');
  add('5,000-line file: didOpen → diagnostics, warm server', 40, ' ms', f5?.openWarm?.median);
  const compute = f5?.serverCompute ?? f5?.libraryCompute;
  add(
    '5,000-line file: edit → diagnostics, server compute',
    10,
    ' ms',
    compute?.median,
    f5 ? `${f5.serverCompute ? 'reported by the server' : 'library in-process (the server reports no timing)'}; p95 ${fmtNum(compute?.p95)} ms; as felt: ${fmtNum(f5.edit?.median)} ms with the 75 ms debounce` : undefined,
  );
  add('5,000-line file: hover p95', 2, ' ms', f5?.hover?.all?.p95, f5 ? `median ${fmtNum(f5.hover?.all?.median)} ms` : undefined);
  add('5,000-line file: completion p95', 5, ' ms', f5?.completion?.all?.p95, f5?.completion?.unsupported ? `completion ${f5.completion.unsupported}` : undefined);
  const d = dir?.servers[OURS];
  add(
    `RSS with ${d?.files ?? 150} files open, at rest`,
    80,
    ' MiB',
    d?.rssOpenMiB,
    d?.lines ? `${d.lines.toLocaleString('en-US')} lines; after ${restLabel(d)}${d.rssOpenSoonMiB !== undefined ? `; ${soonLabel(d)}: ${fmtNum(d.rssOpenSoonMiB, 1)} MiB` : ''}` : 'gen-dir150 not run',
  );
  add(
    `RSS growth over ${d?.edits?.toLocaleString('en-US') ?? '10,000'} edits`,
    10,
    '%',
    d?.edits >= 10000 ? Math.abs(d.growthPct) : d?.growthPct !== undefined ? Math.abs(d.growthPct) : undefined,
    d?.edits !== undefined ? `${d.growthPct >= 0 ? 'grew' : 'shrank'}: ${fmtNum(d.rssOpenMiB, 1)} → ${fmtNum(d.rssAfterMiB, 1)} MiB, highest sample ${fmtNum(d.maxSampleMiB, 1)} MiB${d.edits < 10000 ? `; only ${d.edits} edits` : ''}` : undefined,
  );
  add(`bpf-kptr-lint over ${dir?.lint?.lines?.toLocaleString('en-US') ?? '70,000'} lines, wall with start-up`, 1500, ' ms', dir?.lint?.wallMs?.median, dir?.lint?.linesPerSec ? `${dir.lint.linesPerSec.toLocaleString('en-US')} lines/s` : undefined);
  return t;
}
