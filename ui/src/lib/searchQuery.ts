// The birth date a doctor adds to narrow a search that matched too many
// patients. The core forgives many forms of a date in the search box; the
// narrowing field checks the date first, so a typo is caught here rather
// than turning into a search for a name, and sends it in one form.

const FORMS: readonly RegExp[] = [
  // 1965, 1965-3, 1965/03/15, 1965.3.15
  /^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$/,
  // 19650315, 196503
  /^(\d{4})(\d{2})(\d{2})?$/,
  // 1965年3月15日, 1965年3月
  /^(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日?)?)?$/,
];

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/**
 * `input` as a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD), or `null` when it is
 * not a date someone could have been born on by `today` (the workstation's
 * calendar day).
 */
export function birthDateTerm(input: string, today: Date): string | null {
  const text = input.trim().replace(/\s+/g, "");
  const match = FORMS.map((form) => form.exec(text)).find((found) => found !== null);
  if (!match) return null;
  const year = Number(match[1]);
  const month = match[2] === undefined ? null : Number(match[2]);
  const day = match[3] === undefined ? null : Number(match[3]);
  if (year < 1850) return null;
  if (month !== null && (month < 1 || month > 12)) return null;
  if (month !== null && day !== null && (day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate())) return null;
  // Not after today: the earliest day the date stands for is today at the latest.
  const now = [today.getFullYear(), today.getMonth() + 1, today.getDate()];
  const earliest = [year, month ?? 1, day ?? 1];
  const index = earliest.findIndex((part, at) => part !== now[at]);
  if (index !== -1 && earliest[index]! > now[index]!) return null;
  if (month === null) return String(year);
  if (day === null) return `${year}-${pad(month)}`;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/**
 * The search `base` narrowed by a birth date (`term`, from `birthDateTerm`):
 * a birth date `base` already has (any word of it that reads as one by
 * `today`) gives way to `term`, so a patient is never searched for with
 * two birth dates.
 */
export function narrowedQuery(base: string, term: string, today: Date): string {
  const words = base.trim().split(/\s+/).filter((word) => word !== "" && birthDateTerm(word, today) === null);
  return [...words, term].join(" ");
}
