/**
 * Lab results for a completed simulated order: one value per marker of the ordered test, drawn
 * deterministically from the order id (the same order always reports the same values), plus a
 * small but valid PDF report.
 */
import { createHash } from 'node:crypto';
import type { SimulatorLabTest } from './catalog.js';

export type Interpretation = 'normal' | 'abnormal' | 'critical';
/** The sandbox's result types (`lab/overview/sandbox.mdx`, "Results"; `ResultType`). */
export const RESULT_TYPES = ['numeric', 'comment', 'range'] as const;
export type ResultType = (typeof RESULT_TYPES)[number];

export interface SimulatedMarkerResult {
  name: string;
  slug: string;
  result: string;
  type: ResultType;
  unit: string | null;
  timestamp: string;
  notes: string | null;
  reference_range: string | null;
  min_range_value: number | null;
  max_range_value: number | null;
  is_above_max_range: boolean | null;
  is_below_min_range: boolean | null;
  interpretation: 'normal' | 'abnormal' | 'critical';
  loinc: string;
  loinc_slug: string;
  provider_id: string;
}

/** A stream of numbers in [0, 1) fixed by `seed`. */
function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0) || 1;
  return () => {
    // xorshift32: cheap and good enough for plausible lab values
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

export function simulateResults(
  orderId: string,
  labTest: SimulatorLabTest,
  reportedAt: string,
  interpretation: Interpretation,
  /** the types to cycle through, marker by marker (the sandbox's `result_types` flag); default numeric */
  resultTypes: readonly ResultType[] = ['numeric'],
): SimulatedMarkerResult[] {
  const random = seededRandom(orderId);
  return labTest.markers.map((m, index): SimulatedMarkerResult => {
    const span = m.max - m.min;
    let value = m.min + span * (0.15 + 0.7 * random());
    let flag: SimulatedMarkerResult['interpretation'] = 'normal';
    if (index === 0 && interpretation !== 'normal') {
      value = m.max + span * (interpretation === 'critical' ? 3 : 0.4);
      flag = interpretation;
    }
    const rounded = Math.round(value * 100) / 100;
    const type = resultTypes[index % resultTypes.length] ?? 'numeric';
    const common = {
      name: m.name,
      slug: m.slug,
      timestamp: reportedAt,
      interpretation: flag,
      loinc: m.loinc,
      loinc_slug: m.slug,
      provider_id: String(m.id),
    };
    if (type === 'comment') {
      // A text result, no number, unit or range (the sandbox's `comment`).
      return {
        ...common,
        result: 'See comment',
        type,
        unit: null,
        notes: 'Specimen reviewed by the laboratory; no numeric result is reported for this marker.',
        reference_range: null,
        min_range_value: null,
        max_range_value: null,
        is_above_max_range: null,
        is_below_min_range: null,
      };
    }
    if (type === 'range') {
      // A bound, not a value ("<50" in the sandbox's words): below the range's upper limit.
      return {
        ...common,
        result: `<${m.max}`,
        type,
        unit: m.unit,
        notes: null,
        reference_range: `${m.min}-${m.max}`,
        min_range_value: m.min,
        max_range_value: m.max,
        is_above_max_range: false,
        is_below_min_range: null,
        interpretation: 'normal',
      };
    }
    return {
      name: m.name,
      slug: m.slug,
      result: String(rounded),
      type: 'numeric',
      unit: m.unit,
      timestamp: reportedAt,
      notes: null,
      reference_range: `${m.min}-${m.max}`,
      min_range_value: m.min,
      max_range_value: m.max,
      is_above_max_range: rounded > m.max,
      is_below_min_range: rounded < m.min,
      interpretation: flag,
      loinc: m.loinc,
      loinc_slug: m.slug,
      provider_id: String(m.id),
    };
  });
}

/**
 * A one-page PDF listing the markers. Only the order id and marker values go in: the report a
 * real lab sends carries the patient's name, but a simulator has no reason to copy it around.
 */
export function renderResultPdf(
  orderId: string,
  labTestName: string,
  results: SimulatedMarkerResult[],
): Buffer {
  return renderPdf([
    `${labTestName} - simulated report`,
    `Order ${orderId}`,
    '',
    ...results.map(
      (r) => `${r.name}: ${r.result} ${r.unit ?? ''} (ref ${r.reference_range ?? '-'}) ${r.interpretation}`,
    ),
  ]);
}

/**
 * The requisition a walk-in patient takes to the Patient Service Center: what is to be drawn and
 * the requisition number the lab files the sample under. No patient details, as above.
 */
export function renderRequisitionPdf(
  orderId: string,
  labTestName: string,
  requisitionNumber: string,
): Buffer {
  return renderPdf([
    'Laboratory requisition - simulated',
    `Requisition ${requisitionNumber}`,
    `Order ${orderId}`,
    `Test: ${labTestName}`,
    '',
    'Bring this form to any Patient Service Center.',
  ]);
}

/** A valid one-page PDF (Helvetica, one line per entry). */
function renderPdf(lines: string[]): Buffer {
  const escape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?');
  const text = lines.map((l, i) => `BT /F1 11 Tf 50 ${760 - i * 16} Td (${escape(l)}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  body += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
