/**
 * CPU and memory of processes, read from /proc (Linux). CPU is in seconds of one core; the
 * machine-wide figure lets a run tell how much CPU other processes used during its window.
 */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

/** user + system CPU seconds of one process so far. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of a process, in bytes. */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Busy CPU seconds of the whole machine so far (all cores). */
export function machineBusyCpuSeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS_PER_SECOND;
}

export interface CpuWindow {
  /** CPU seconds the server used (all its processes: several instances and their Redis count as one server). */
  server: number;
  /** The same, process by process, in the order their pids were given. */
  serverByProcess: number[];
  /** CPU seconds the load generator (and this orchestrator) used. */
  load: number;
  /** CPU seconds everything else on the machine used: the disturbance. */
  others: number;
  wallSeconds: number;
}

/** Starts measuring; call the returned function to end the window. */
export function cpuWindow(serverPids: readonly number[], loadPids: readonly number[]): () => CpuWindow {
  const started = performance.now();
  const server0 = serverPids.map(processCpuSeconds);
  const load0 = loadPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const machine0 = machineBusyCpuSeconds();
  return () => {
    const serverByProcess = serverPids.map((pid, index) => processCpuSeconds(pid) - server0[index]!);
    const server = serverByProcess.reduce((sum, seconds) => sum + seconds, 0);
    const load = loadPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0) - load0;
    const machine = machineBusyCpuSeconds() - machine0;
    return { server, serverByProcess, load, others: Math.max(0, machine - server - load), wallSeconds: (performance.now() - started) / 1000 };
  };
}
