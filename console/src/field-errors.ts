/**
 * The API's field errors (a 400's `details`: `{path, message}`, e.g. `/phone` "must match pattern
 * …") in words for people, to show at the field they concern. Words by field first (what to enter),
 * then by the kind of rule broken; anything else keeps the API's sentence.
 */
import { ApiError } from './api/client';

/** What to enter, by the field's name (the last segment of its path). */
const BY_FIELD: Record<string, string> = {
  phone: 'Enter the phone number with its country code, e.g. +1 415 555 0100.',
  phone_number: 'Enter the phone number with its country code, e.g. +1 415 555 0100.',
  email: 'Enter an email address, e.g. name@example.com.',
  dob: 'Enter a date of birth in the past.',
  code: 'Use letters, digits, - and _ only.',
  url: 'Enter the full address, starting with https://.',
};

const BY_RULE: [RegExp, (m: RegExpMatchArray) => string][] = [
  [
    /^is in the past/,
    () => 'The date is in the past: to record a visit that already took place, say so below the date.',
  ],
  [/^is required$|must NOT have fewer than 1 characters/, () => 'Fill this in.'],
  [/must NOT have more than (\d+) characters/, (m) => `Use at most ${m[1]} characters.`],
  [/must be >= (\S+)/, (m) => `Enter ${m[1]} or more.`],
  [/must be <= (\S+)/, (m) => `Enter ${m[1]} or less.`],
  [/must be > (\S+)/, (m) => `Enter more than ${m[1]}.`],
  [/must be multiple of/, () => 'Use at most two decimals.'],
  [/must be a real past date/, () => 'Enter a real date in the past.'],
  [/must be a real date/, () => 'Enter a real date.'],
  [/must be an ISO 8601 date-time/, () => 'Enter a real date and time.'],
];

const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** One field error in words. */
export function inWords(path: string, message: string): string {
  const field = path.split('/').filter(Boolean).pop() ?? '';
  for (const [rule, words] of BY_RULE) {
    const found = message.match(rule);
    if (found) return words(found);
  }
  // A rule with its own sentence (a URL refused for its address, a code taken) says it best.
  if (!/^must/.test(message)) return capitalized(message);
  return BY_FIELD[field] ?? capitalized(message);
}

/** The field errors of a failed request, in words, by path (`/phone`), when it was refused for them. */
export function fieldErrors(error: unknown): Map<string, string> {
  const errors = new Map<string, string>();
  if (!(error instanceof ApiError)) return errors;
  for (const detail of error.details) {
    const path = detail.path.replace(/^body:/, '');
    if (!errors.has(path)) errors.set(path, inWords(path, detail.message));
  }
  return errors;
}

/** A path's field as a name: `/patient/phone_number` → "Phone number", `/labVisitDate` → "Lab visit date". */
export function fieldName(path: string): string {
  const field = path.split('/').filter(Boolean).pop() ?? 'The request';
  const words = field
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return capitalized(words);
}

/**
 * A phone number as typed ("+1 415 555 0100", "+1 (415) 555-0100") in the API's form
 * (`+14155550100`): spaces, dots, dashes and brackets dropped; null when empty.
 */
export function phoneOf(typed: string): string | null {
  const phone = typed.replace(/[\s().-]/g, '');
  return phone === '' ? null : phone;
}
