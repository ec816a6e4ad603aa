import { readdir, readFile } from 'node:fs/promises';

/**
 * The live child processes of `ppid` whose name starts with `namePrefix`, read from /proc.
 * A process may exit between the directory listing and the read of its stat: it is skipped, not an error.
 */
export async function childProcesses(ppid: number, namePrefix: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The name is in parentheses and may itself hold spaces or ')': the fields follow the last ')'.
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const [state, parent] = stat.slice(close + 2).split(' ');
    if (name.startsWith(namePrefix) && Number(parent) === ppid && state !== 'Z') found.push(Number(entry));
  }
  return found;
}
