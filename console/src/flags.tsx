/**
 * A result's flag, coloured and labelled (never colour alone): "▲ High", "▼ Low", "‼ Critical",
 * "! Abnormal", "Normal". The words carry the meaning; the symbol and colour help the eye.
 */
export type FlagValue = 'normal' | 'low' | 'high' | 'abnormal' | 'critical';

const LOOK: Record<FlagValue, { symbol: string; words: string }> = {
  critical: { symbol: '‼', words: 'Critical' },
  high: { symbol: '▲', words: 'High' },
  low: { symbol: '▼', words: 'Low' },
  abnormal: { symbol: '!', words: 'Abnormal' },
  normal: { symbol: '', words: 'Normal' },
};

const isFlag = (value: string): value is FlagValue => value in LOOK;

/** The flag of a value, or a dash when there is none. */
export function Flag({ flag, testId }: { flag: string | null | undefined; testId?: string }) {
  if (!flag) return <span class="muted">—</span>;
  if (!isFlag(flag)) return <span data-testid={testId}>{flag}</span>;
  const { symbol, words } = LOOK[flag];
  return (
    <span class={`flag flag-${flag}`} data-testid={testId}>
      {symbol ? <span aria-hidden="true">{symbol} </span> : null}
      {words}
    </span>
  );
}

/**
 * A lab's marker as a flag: `critical` when the lab says so, `high` or `low` when a number is
 * outside its reference range, else the lab's own interpretation (`abnormal`, `normal`).
 */
export function markerFlag(marker: {
  value: string;
  min_range_value: number | null;
  max_range_value: number | null;
  interpretation: string | null;
}): string | null {
  const said = marker.interpretation?.toLowerCase() ?? null;
  if (said === 'critical') return 'critical';
  const value = Number(marker.value);
  if (marker.value.trim() !== '' && Number.isFinite(value)) {
    if (marker.max_range_value !== null && value > marker.max_range_value) return 'high';
    if (marker.min_range_value !== null && value < marker.min_range_value) return 'low';
  }
  return said;
}
