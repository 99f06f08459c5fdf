/**
 * The code systems, identifier systems and profiles labline's FHIR Bundles use (docs/fhir.md lists
 * each with its meaning). Terminology URIs are HL7's own; labline's identifiers live under
 * `urn:labline:`, scoped by tenant where the value is the tenant's own (a brand's patient id).
 */

export const SYSTEM = {
  loinc: 'http://loinc.org',
  ucum: 'http://unitsofmeasure.org',
  snomed: 'http://snomed.info/sct',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  /** HL7 v2 table 0074, diagnostic service section: `LAB` */
  diagnosticService: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  /** HL7 v2 table 0203, identifier type: `PI`, `PLAC`, `ACSN` */
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  dataAbsentReason: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
  /** the OID of CLIA numbers (US laboratories) */
  clia: 'urn:oid:2.16.840.1.113883.4.7',
  /** labline's lab order ids (UUIDs, unique across tenants) */
  labOrder: 'urn:labline:lab-order',
  /** labline's panel ids (`hashimotos`, …) */
  panel: 'urn:labline:panel',
  /** the workspace catalog's numeric test ids (one catalog for every workspace) */
  labTest: 'urn:labline:lab-test',
  junctionOrder: 'urn:labline:junction:order',
  junctionLabTest: 'urn:labline:junction:lab-test',
  /** Junction's biomarker slugs (`tsh`), the same whichever lab performs the test */
  junctionBiomarker: 'urn:labline:junction:biomarker',
  /** the sample (requisition) number Junction and the lab file the order's sample under */
  junctionSample: 'urn:labline:junction:sample',
} as const;

/** A tenant id as a URN segment: percent-encoded, so that any brand id makes a valid URI. */
const segment = (id: string) => encodeURIComponent(id);

/** A brand's own patient ids (`patient_id` of the clinical surface). */
export const brandPatientSystem = (brandId: string) => `urn:labline:brand:${segment(brandId)}:patient`;
/** A workspace's client ids. */
export const workspaceClientSystem = (workspaceId: string) =>
  `urn:labline:workspace:${segment(workspaceId)}:client`;
/** A workspace's lab visit ids. */
export const labVisitSystem = (workspaceId: string) =>
  `urn:labline:workspace:${segment(workspaceId)}:lab-visit`;
/** One test of a workspace's lab visit: `<visitId>-<testId>`. */
export const labVisitTestSystem = (workspaceId: string) =>
  `urn:labline:workspace:${segment(workspaceId)}:lab-visit-test`;
/**
 * A performing lab's own result codes: per lab (by CLIA number) since two labs' codes mean
 * different things; `urn:labline:lab:unknown:result-code` when Junction does not name the lab.
 */
export const labResultCodeSystem = (clia: string | null) =>
  `urn:labline:lab:${clia === null ? 'unknown' : segment(clia)}:result-code`;

/** US Core (6.1) profiles the resources claim when they hold what the profile requires. */
export const PROFILE = {
  patient: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient',
  serviceRequest: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-servicerequest',
  diagnosticReport: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-diagnosticreport-lab',
  observation: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab',
} as const;

export const CODING = {
  observationLaboratory: { system: SYSTEM.observationCategory, code: 'laboratory', display: 'Laboratory' },
  reportLaboratory: { system: SYSTEM.diagnosticService, code: 'LAB', display: 'Laboratory' },
  laboratoryProcedure: { system: SYSTEM.snomed, code: '108252007', display: 'Laboratory procedure' },
  /** LOINC's code for a laboratory report as a whole: a visit's report, which spans several tests */
  laboratoryReport: { system: SYSTEM.loinc, code: '11502-2', display: 'Laboratory report' },
  patientInternalId: { system: SYSTEM.identifierType, code: 'PI', display: 'Patient internal identifier' },
  placerId: { system: SYSTEM.identifierType, code: 'PLAC', display: 'Placer Identifier' },
  accessionId: { system: SYSTEM.identifierType, code: 'ACSN', display: 'Accession ID' },
  absentUnknown: { system: SYSTEM.dataAbsentReason, code: 'unknown', display: 'Unknown' },
} as const;

/** The v3-ObservationInterpretation codes labline's flags map to (docs/fhir.md). */
export const INTERPRETATION = {
  N: 'Normal',
  A: 'Abnormal',
  H: 'High',
  L: 'Low',
  AA: 'Critical abnormal',
  HH: 'Critical high',
  LL: 'Critical low',
} as const;
export type InterpretationCode = keyof typeof INTERPRETATION;
