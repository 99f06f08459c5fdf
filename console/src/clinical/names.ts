/** What the clinical pages call a panel and a patient, with the id when there is no name. */
import type { LabOrder } from '../api/types';

const PANELS: Record<string, string> = {
  hashimotos: "Hashimoto's panel",
  pcos: 'PCOS panel',
  fertility: 'Fertility panel',
};

/** A panel's name (labline's panel ids are few and fixed: docs/clinical-lab-orders.md). */
export const panelName = (panelId: string): string => PANELS[panelId] ?? panelId;

/** A patient's name as the brand keeps it, or a sentence saying there is none. */
export const patientLabel = (name: string | null | undefined): string => name ?? 'Patient without a name';

/** An order's title: who it is for and what it tests. */
export const orderTitle = (order: Pick<LabOrder, 'panel_id'>, name: string | null | undefined): string =>
  `${patientLabel(name)}, ${panelName(order.panel_id)}`;
