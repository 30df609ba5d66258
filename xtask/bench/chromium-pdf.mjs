// Prints statement HTML to PDF through one warm headless Chromium, for
// `cargo xtask bench`.
//
//   node chromium-pdf.mjs <folder with node_modules> <chromium> '<jobs JSON>'
//
// Each job is {html, pdf, runs}: one warm-up, then `runs` timed
// `setContent` + `page.pdf()` on the same page of the same browser. Prints
// one JSON line: the browser's version, and for each job the wall-clock
// times, the CPU time the browser's processes spent on each run, the PDF's
// size and the memory the browser's processes hold after the runs
// (proportional set size: shared pages split between them).

import { readFile, writeFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const [prefix, executablePath, jobsJson] = process.argv.slice(2);
if (!prefix || !executablePath || !jobsJson) {
  console.error('usage: node chromium-pdf.mjs <node prefix> <chromium> <jobs JSON>');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(prefix), 'bench.cjs'));
const { chromium } = require('playwright-core');
const jobs = JSON.parse(jobsJson);

/** The processes descending from this one: the browser's. */
async function browserPids() {
  const parents = new Map();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces: the fields after it are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const isDescendant = (pid) => {
    for (let p = parents.get(pid), hops = 0; p && hops < 64; p = parents.get(p), hops++) {
      if (p === process.pid) return true;
    }
    return false;
  };
  return [...parents.keys()].filter(isDescendant);
}

/** CPU time (ms, user and system) the browser's processes have used. */
async function browserCpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone meanwhile.
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux.
}

/** Memory the browser's processes hold, shared pages split between them (KiB). */
async function browserPssKib(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
      const match = rollup.match(/^Pss:\s+(\d+) kB/m);
      if (match) total += Number(match[1]);
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  const results = [];
  for (const job of jobs) {
    const html = await readFile(job.html, 'utf8');
    const once = async () => {
      await page.setContent(html, { waitUntil: 'load', timeout: 600_000 });
      return page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true, timeout: 600_000 });
    };
    let pdf = await once();
    const pids = await browserPids();
    const times = [];
    const cpu = [];
    for (let run = 0; run < job.runs; run++) {
      const cpuBefore = await browserCpuMs(pids);
      const started = performance.now();
      pdf = await once();
      times.push(performance.now() - started);
      cpu.push((await browserCpuMs(pids)) - cpuBefore);
    }
    await writeFile(job.pdf, pdf);
    const pss = await browserPssKib(await browserPids());
    results.push({ html: job.html, times_ms: times, cpu_ms: cpu, pdf_bytes: pdf.length, pss_kib: pss });
  }
  const playwright = require('playwright-core/package.json').version;
  console.log(JSON.stringify({ version: browser.version(), playwright, results }));
} finally {
  await browser.close();
}
