/**
 * Patient and client values the tests send. They are distinctive on purpose: after the suite,
 * global-setup.ts scans every captured log line for them, so PHI reaching a log fails the run.
 */
export const PHI = {
  firstName: 'Zephyrine',
  lastName: 'Quillfeather',
  dob: '1987-03-14',
  email: 'zephyrine.quillfeather@example.com',
  phone: '+15555550123',
  line1: '742 Evergreen Terrace',
  line2: 'Apartment 5B',
  city: 'Springfieldia',
  notes: 'Fasting since midnight; nervous about needles',
} as const;

/** What a client's details are changed to (PATCH), just as distinctive. */
export const PHI_CHANGED = {
  lastName: 'Ravenscroft-Ilmarinen',
  email: 'z.ravenscroft@example.org',
  phone: '+15555550199',
  notes: 'Prefers the left arm; faints at the sight of blood',
} as const;

/** Values that must never appear in a log line. (dob alone is too common a string to scan for.) */
export const PHI_MARKERS: string[] = [
  PHI.firstName,
  PHI.lastName,
  PHI.email,
  PHI.phone,
  PHI.line1,
  PHI.line2,
  PHI.notes,
  ...Object.values(PHI_CHANGED),
];
