import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// CPU accounting from /proc (Linux). Where there is no /proc the figures are left out, never guessed.

let ticks: number | undefined;

/** The kernel's clock-tick rate (USER_HZ) in which /proc counts CPU time. */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** CPU seconds (user + system) a process has used so far; undefined if it cannot be read. */
export function procCpu(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces, hence the last ')'; utime and stime are the 14th and
    // 15th fields of the line, the 12th and 13th after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process and its children so far (PostgreSQL serves each connection from a
 * process of its own, forked by the postmaster); undefined if the root cannot be read.
 */
export function procTreeCpu(root: number | undefined): number | undefined {
  if (root === undefined) return undefined;
  let total: number;
  try {
    // The root's own time, and (cutime, cstime) that of the children it has reaped: a backend
    // that ended between two snapshots still counts.
    const stat = readFileSync(`/proc/${root}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total = [11, 12, 13, 14].reduce((a, i) => a + Number(fields[i]), 0) / clockTicks();
  } catch {
    return undefined;
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The parent's pid is the 4th field of the line, the 2nd after the command name.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === root) total += (Number(fields[11]) + Number(fields[12])) / clockTicks();
    } catch {
      // Gone since the listing: its time is no longer anybody's to count.
    }
  }
  return total;
}

/** CPU seconds of this process (all its threads). */
export function ownCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * CPU seconds the whole machine has been busy (all CPUs; everything but idle and I/O wait). Less
 * what the benchmark's own processes used, it is what other processes took meanwhile.
 */
export function machineBusy(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const counters = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = counters.reduce((a, b) => a + b, 0);
    const idle = (counters[3] ?? 0) + (counters[4] ?? 0);
    return (total - idle) / clockTicks();
  } catch {
    return undefined;
  }
}
