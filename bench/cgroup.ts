import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// FC's limits on this machine: a child cgroup with a CPU quota (FC `cpu: 0.1` = 10 ms of
// CPU per 100 ms period) and/or a memory limit (FC `memorySize: 128`), created under this
// process's own cgroup (so it only ever narrows what the harness already has), and a
// launcher that moves the spawned process into it before node starts: `sh` writes its own
// pid into cgroup.procs, then execs node, so not one instruction of node runs unlimited.
// cgroup v1 (cpu.cfs_quota_us, memory.limit_in_bytes) and v2 (cpu.max, memory.max).
// With a CPU quota the cgroup also accounts for the CPU its processes used (every thread,
// the launcher's `sh` included: v1 cpuacct.usage, which lives in its own hierarchy when
// cpuacct is mounted apart from cpu; v2 cpu.stat usage_usec) and counts throttled periods.
// Needs write access to the cgroup tree (root, not read-only /sys/fs/cgroup); when that
// is missing, `limitedCgroup` says why and the caller reports the figure as skipped.

export interface Limits {
  /** Fraction of one CPU, e.g. 0.1. */
  cpu?: number;
  /** CFS period the quota is granted per, in µs (default 100,000: the kernel's own default). */
  periodUs?: number;
  memoryBytes?: number;
}

export interface Cgroup {
  /** Prefix for spawn: the command and arguments that run `node …` inside the cgroup. */
  launcher: string[];
  describe: string;
  /** Peak memory the cgroup saw since the last reset (bytes; page cache included), when the kernel tells. */
  peakBytes(): number | undefined;
  resetPeak(): void;
  /** OOM kills inside the cgroup so far, when the kernel tells. */
  oomKills(): number | undefined;
  /** CPU used by everything that ran in the cgroup so far (ms), and its CFS period counters; undefined without a CPU quota. */
  cpuStat(): CpuStat | undefined;
  remove(): void;
}

export interface CpuStat {
  usageMs: number;
  periods: number;
  throttled: number;
  throttledMs: number;
}

const PERIOD_US = 100_000;

interface Hierarchy {
  version: 1 | 2;
  /** Directory of this process's cgroup for the controller. */
  dir: string;
}

/** Where this process sits in the hierarchy that holds `controller` (cpu or memory). */
function hierarchy(controller: 'cpu' | 'cpuacct' | 'memory'): Hierarchy | string {
  let self: string;
  let mounts: string;
  try {
    self = readFileSync('/proc/self/cgroup', 'utf8');
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return 'no /proc/self/cgroup (not Linux?)';
  }
  const lines = self.trim().split('\n').map((l) => l.split(':'));
  for (const m of mounts.split('\n')) {
    const [, mountPoint, type, options] = m.split(' ');
    if (!mountPoint) continue;
    if (type === 'cgroup' && options?.split(',').includes(controller)) {
      const line = lines.find(([, ctl]) => ctl?.split(',').includes(controller));
      const rel = line?.[2] ?? '/';
      const dir = join(mountPoint, rel);
      return { version: 1, dir: existsSync(dir) ? dir : mountPoint };
    }
  }
  for (const m of mounts.split('\n')) {
    const [, mountPoint, type] = m.split(' ');
    if (type !== 'cgroup2' || !mountPoint) continue;
    let controllers = '';
    try {
      controllers = readFileSync(join(mountPoint, 'cgroup.controllers'), 'utf8');
    } catch {
      continue;
    }
    if (!controllers.split(/\s+/).includes(controller)) continue;
    const rel = lines.find(([id]) => id === '0')?.[2] ?? '/';
    const dir = join(mountPoint, rel);
    return { version: 2, dir: existsSync(dir) ? dir : mountPoint };
  }
  return `no cgroup hierarchy with the ${controller} controller is mounted`;
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** A fresh cgroup with `limits`, or the reason it cannot be made here. */
export function limitedCgroup(name: string, limits: Limits): Cgroup | string {
  const made: string[] = [];
  const procs: string[] = [];
  let memDir: string | undefined;
  let memVersion: 1 | 2 = 1;
  let cpuDir: string | undefined;
  let acctDir: string | undefined;
  let cpuVersion: 1 | 2 = 1;
  const period = limits.periodUs ?? PERIOD_US;
  const remove = () => {
    for (const dir of [...made].reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // still has a process (killed children leave within milliseconds); the name is per run
      }
    }
  };
  try {
    const wanted: Array<['cpu' | 'cpuacct' | 'memory', (h: Hierarchy, dir: string) => void]> = [];
    if (limits.cpu !== undefined) {
      const quota = Math.round(limits.cpu * period);
      wanted.push([
        'cpu',
        (h, dir) => {
          cpuDir = dir;
          cpuVersion = h.version;
          if (h.version === 1) {
            writeFileSync(join(dir, 'cpu.cfs_period_us'), String(period));
            writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
          } else writeFileSync(join(dir, 'cpu.max'), `${quota} ${period}`);
        },
      ]);
      // v1 accounts CPU in cpuacct (the same directory when mounted together with cpu).
      const cpuHierarchy = hierarchy('cpu');
      if (typeof cpuHierarchy !== 'string' && cpuHierarchy.version === 1) wanted.push(['cpuacct', (_h, dir) => void (acctDir = dir)]);
    }
    if (limits.memoryBytes !== undefined) {
      const bytes = String(limits.memoryBytes);
      wanted.push([
        'memory',
        (h, dir) => {
          memDir = dir;
          memVersion = h.version;
          if (h.version === 1) {
            writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
            // No swap to hide in: FC instances have none (only where swap is accounted).
            if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), bytes);
          } else {
            writeFileSync(join(dir, 'memory.max'), bytes);
            if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
          }
        },
      ]);
    }
    const seen = new Set<string>();
    for (const [controller, apply] of wanted) {
      const h = hierarchy(controller);
      if (typeof h === 'string') throw new Error(h);
      const dir = join(h.dir, name);
      if (!seen.has(dir)) {
        if (h.version === 2) {
          // v2 only limits a child once the parent delegates the controller to it.
          const sub = join(h.dir, 'cgroup.subtree_control');
          if (!(read(sub) ?? '').split(/\s+/).includes(controller)) writeFileSync(sub, `+${controller}`);
        }
        mkdirSync(dir);
        made.push(dir);
        procs.push(join(dir, 'cgroup.procs'));
        seen.add(dir);
      }
      apply(h, dir);
    }
  } catch (err) {
    remove();
    const e = err as NodeJS.ErrnoException;
    return `cannot create a limited cgroup here (${e.code ?? ''} ${e.message})`.replace(/\s+/g, ' ');
  }
  const script = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 97; shift; n=$((n-1)); done; exec "$@"';
  const parts = [
    limits.cpu !== undefined ? `cpu quota ${Math.round(limits.cpu * period) / 1000} ms per ${period / 1000} ms` : '',
    limits.memoryBytes !== undefined ? `memory ${limits.memoryBytes / 1048576} MB, no swap` : '',
  ].filter(Boolean);
  return {
    launcher: ['/bin/sh', '-c', script, 'sh', String(procs.length), ...procs],
    describe: `${parts.join(', ')} (${made.join(', ')})`,
    peakBytes() {
      if (!memDir) return undefined;
      const v = read(join(memDir, memVersion === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak'));
      return v === undefined ? undefined : Number(v);
    },
    resetPeak() {
      if (memDir && memVersion === 1) {
        try {
          writeFileSync(join(memDir, 'memory.max_usage_in_bytes'), '0');
        } catch {
          // not resettable: the figure is then the peak since creation
        }
      }
    },
    oomKills() {
      if (!memDir) return undefined;
      const text = read(join(memDir, memVersion === 1 ? 'memory.oom_control' : 'memory.events'));
      const m = text && /oom_kill (\d+)/.exec(text);
      return m ? Number(m[1]) : undefined;
    },
    cpuStat() {
      if (!cpuDir) return undefined;
      const fields = Object.fromEntries(
        (read(join(cpuDir, 'cpu.stat')) ?? '').split('\n').map((l) => {
          const [k, v] = l.split(' ');
          return [k, Number(v)];
        }),
      ) as Record<string, number>;
      const usageMs = cpuVersion === 2 ? (fields.usage_usec ?? NaN) / 1000 : Number(read(join(acctDir ?? cpuDir, 'cpuacct.usage')) ?? NaN) / 1e6;
      const throttledMs = cpuVersion === 2 ? (fields.throttled_usec ?? NaN) / 1000 : (fields.throttled_time ?? NaN) / 1e6;
      return { usageMs, periods: fields.nr_periods ?? NaN, throttled: fields.nr_throttled ?? NaN, throttledMs };
    },
    remove,
  };
}
