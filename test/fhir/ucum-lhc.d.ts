/** The part of NLM's UCUM library (@lhncbc/ucum-lhc, no bundled types) the tests use. */
declare module '@lhncbc/ucum-lhc' {
  interface UcumValidation {
    status: 'valid' | 'invalid' | 'error';
    ucumCode: string | null;
    msg?: string[];
  }
  const ucum: {
    UcumLhcUtils: {
      getInstance(): { validateUnitString(unit: string, suggest?: boolean): UcumValidation };
    };
  };
  export default ucum;
}
