/**
 * What Linux's /proc says about local processes: identity across pid reuse, ancestry, and which process
 * holds the other end of a loopback TCP connection. Pure parsers are exported for unit tests.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process as /proc/PID/stat shows it: its parent and its start time (clock ticks since boot). */
export interface ProcessStat {
  pid: number;
  ppid: number;
  start: number;
}

/** Parses /proc/PID/stat: the command name may hold spaces and parentheses, so fields count from the last ')'. */
export function parseStat(pid: number, text: string): ProcessStat | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is the state (field 3); a zombie has exited.
  if (fields.length < 20 || fields[0] === 'Z') return undefined;
  return { pid, ppid: Number(fields[1]), start: Number(fields[19]) };
}

export function readStat(pid: number): ProcessStat | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** A process named so that a later process given the same pid is not mistaken for it. */
export interface ProcessIdentity {
  pid: number;
  start: number;
}

export function identify(pid: number): ProcessIdentity | undefined {
  const stat = readStat(pid);
  return stat && { pid, start: stat.start };
}

export function isAlive(identity: ProcessIdentity): boolean {
  return readStat(identity.pid)?.start === identity.start;
}

/** Whether `pid` is `ancestor` or descends from it (through parents alive now). */
export function descendsFrom(pid: number, ancestor: number, stat: (pid: number) => ProcessStat | undefined = readStat): boolean {
  for (let current = pid, hops = 0; current > 1 && hops < 4096; hops += 1) {
    if (current === ancestor) return true;
    const next = stat(current)?.ppid;
    if (next === undefined) return false;
    current = next;
  }
  return ancestor === 1;
}

/**
 * The socket inode of the loopback TCP connection from 127.0.0.1:`fromPort` to 127.0.0.1:`toPort`, from the
 * text of /proc/net/tcp (addresses are little-endian hex on x86 and arm64 alike: 0100007F is 127.0.0.1).
 */
export function loopbackSocketInode(procNetTcp: string, fromPort: number, toPort: number): number | undefined {
  const local = `0100007F:${fromPort.toString(16).toUpperCase().padStart(4, '0')}`;
  const remote = `0100007F:${toPort.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local && fields[2] === remote) return Number(fields[9]);
  }
  return undefined;
}

/** The pid holding socket `inode` open, found by reading /proc/PID/fd (only processes we may read are seen). */
export function socketOwner(inode: number): number | undefined {
  const target = `socket:[${inode}]`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === target) return Number(entry);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return undefined;
}

/** The process at the other end of a loopback connection accepted on `listenPort` from `peerPort`, if it can be seen. */
export function loopbackPeer(peerPort: number, listenPort: number): number | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return undefined;
  }
  const inode = loopbackSocketInode(table, peerPort, listenPort);
  return inode ? socketOwner(inode) : undefined;
}
