/** The bench's table, as Markdown (it goes to stdout and, pasted, into docs/benchmarks.md). */
export interface Row {
  figure: string;
  value: string;
  detail: string;
  target: string;
  /** null: no target */
  met: boolean | null;
}

export function markdownTable(rows: Row[]): string {
  const lines = ['| figure | value | measured | target | met |', '|---|---:|---|---|---|'];
  for (const r of rows) {
    lines.push(
      `| ${r.figure} | ${r.value} | ${r.detail} | ${r.target} | ${r.met === null ? '' : r.met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

export function printTable(rows: Row[], machine: Record<string, unknown>): void {
  process.stdout.write(`${markdownTable(rows)}\n\n`);
  process.stdout.write(
    `machine: ${String(machine.nproc)} cores (${String(machine.cpu)}), ${String(machine.memoryGiB)} GiB, node ${String(machine.node)}, ${String(machine.database)}\n`,
  );
}
