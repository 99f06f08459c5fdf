/**
 * The lab tests the simulator ships: one per labline panel, with stable ids so that demo mode
 * can use them as the default panel map, and realistic markers so results look like a lab's.
 */

export interface SimulatorMarker {
  id: number;
  name: string;
  slug: string;
  unit: string;
  /** reference range; results are drawn around it */
  min: number;
  max: number;
  loinc: string;
}

export interface SimulatorLabTest {
  id: string;
  slug: string;
  name: string;
  price: number;
  fasting: boolean;
  markers: SimulatorMarker[];
}

/** labline panel id → the simulator's lab test id (stable across runs). */
export const SIMULATOR_PANELS = {
  hashimotos: '6b0b3c5e-1f7a-4c2e-9a51-3d6f0c1e7a01',
  pcos: '6b0b3c5e-1f7a-4c2e-9a51-3d6f0c1e7a02',
  fertility: '6b0b3c5e-1f7a-4c2e-9a51-3d6f0c1e7a03',
} as const;

const TSH: SimulatorMarker = {
  id: 101,
  name: 'TSH',
  slug: 'tsh',
  unit: 'mIU/L',
  min: 0.45,
  max: 4.5,
  loinc: '3016-3',
};
const FREE_T4: SimulatorMarker = {
  id: 102,
  name: 'Free T4',
  slug: 'free-t4',
  unit: 'ng/dL',
  min: 0.82,
  max: 1.77,
  loinc: '3024-7',
};
const TPO: SimulatorMarker = {
  id: 103,
  name: 'Thyroid Peroxidase Antibodies',
  slug: 'tpo-antibodies',
  unit: 'IU/mL',
  min: 0,
  max: 34,
  loinc: '8099-4',
};
const TG_AB: SimulatorMarker = {
  id: 104,
  name: 'Thyroglobulin Antibodies',
  slug: 'thyroglobulin-antibodies',
  unit: 'IU/mL',
  min: 0,
  max: 0.9,
  loinc: '8098-6',
};
const TESTOSTERONE: SimulatorMarker = {
  id: 201,
  name: 'Testosterone, Total',
  slug: 'testosterone-total',
  unit: 'ng/dL',
  min: 8,
  max: 48,
  loinc: '2986-8',
};
const DHEAS: SimulatorMarker = {
  id: 202,
  name: 'DHEA-Sulfate',
  slug: 'dhea-sulfate',
  unit: 'ug/dL',
  min: 57,
  max: 279,
  loinc: '2191-5',
};
const LH: SimulatorMarker = {
  id: 203,
  name: 'Luteinizing Hormone',
  slug: 'lh',
  unit: 'mIU/mL',
  min: 2.4,
  max: 12.6,
  loinc: '10501-5',
};
const FSH: SimulatorMarker = {
  id: 204,
  name: 'Follicle Stimulating Hormone',
  slug: 'fsh',
  unit: 'mIU/mL',
  min: 3.5,
  max: 12.5,
  loinc: '15067-2',
};
const SHBG: SimulatorMarker = {
  id: 205,
  name: 'Sex Hormone Binding Globulin',
  slug: 'shbg',
  unit: 'nmol/L',
  min: 24.6,
  max: 122,
  loinc: '13967-5',
};
const AMH: SimulatorMarker = {
  id: 301,
  name: 'Anti-Mullerian Hormone',
  slug: 'amh',
  unit: 'ng/mL',
  min: 0.9,
  max: 9.5,
  loinc: '38476-8',
};
const ESTRADIOL: SimulatorMarker = {
  id: 302,
  name: 'Estradiol',
  slug: 'estradiol',
  unit: 'pg/mL',
  min: 12.5,
  max: 166,
  loinc: '2243-4',
};
const PROLACTIN: SimulatorMarker = {
  id: 303,
  name: 'Prolactin',
  slug: 'prolactin',
  unit: 'ng/mL',
  min: 4.8,
  max: 23.3,
  loinc: '2842-3',
};

export const SIMULATOR_LAB_TESTS: readonly SimulatorLabTest[] = [
  {
    id: SIMULATOR_PANELS.hashimotos,
    slug: 'hashimotos-panel',
    name: "Hashimoto's Panel",
    price: 89,
    fasting: false,
    markers: [TSH, FREE_T4, TPO, TG_AB],
  },
  {
    id: SIMULATOR_PANELS.pcos,
    slug: 'pcos-panel',
    name: 'PCOS Panel',
    price: 129,
    fasting: true,
    markers: [TESTOSTERONE, DHEAS, LH, FSH, SHBG],
  },
  {
    id: SIMULATOR_PANELS.fertility,
    slug: 'fertility-panel',
    name: 'Fertility Panel',
    price: 149,
    fasting: false,
    markers: [AMH, FSH, LH, ESTRADIOL, PROLACTIN, TSH],
  },
];

export const SIMULATOR_LAB = {
  id: 7,
  slug: 'quest',
  name: 'Quest Diagnostics',
  first_line_address: '500 Plaza Drive',
  city: 'Secaucus',
  zipcode: '07094',
  collection_methods: ['walk_in_test'],
  sample_types: ['serum'],
  logo_url: null,
} as const;

export function findLabTest(id: string): SimulatorLabTest | undefined {
  return SIMULATOR_LAB_TESTS.find((t) => t.id === id);
}
