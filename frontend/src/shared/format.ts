// French wording of dates, times and prices, as the seed's calendar writes them.

const LONG = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long",
  day: "numeric",
  month: "long",
  timeZone: "UTC",
});
const YEAR = new Intl.DateTimeFormat("fr-FR", { year: "numeric", timeZone: "UTC" });
const SHORT = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "long", timeZone: "UTC" });
const EURO = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });

/** French writes the first day of a month "1er". */
function ordinal(text: string): string {
  return text.replace(/(^|\s)1(\s)/, "$11er$2");
}

/** A calendar date of the API ("2016-08-23"), read as the calendar day it is. */
function day(iso: string): Date {
  return new Date(`${iso}T00:00:00Z`);
}

/** The start of a period, with its year when the period ends in another. */
function from(start: string, end: string, format: Intl.DateTimeFormat): string {
  const year = YEAR.format(day(start));
  return ordinal(format.format(day(start))) + (year === YEAR.format(day(end)) ? "" : ` ${year}`);
}

/** "Du mardi 23 août au mercredi 7 septembre 2016" ("… 2026 au … 2027" across a new year). */
export function applicationPeriod(start: string, end: string): string {
  return `Du ${from(start, end, LONG)} au ${ordinal(LONG.format(day(end)))} ${YEAR.format(day(end))}`;
}

/** "Du 8 septembre au 30 septembre 2016" ("Du 16 décembre 2026 au 7 janvier 2027"). */
export function responsePeriod(start: string, end: string): string {
  return `Du ${from(start, end, SHORT)} au ${ordinal(SHORT.format(day(end)))} ${YEAR.format(day(end))}`;
}

/** "18:30:00" -> "18 h 30". */
export function hour(value: string): string {
  const [h, m] = value.split(":");
  return m === "00" ? `${Number(h)} h` : `${Number(h)} h ${m}`;
}

/** "142.00" -> "142,00 €". */
export function price(value: string | number): string {
  return EURO.format(Number(value));
}

const FULL = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});

/** "2026-12-05" -> "samedi 5 décembre 2026". */
export function fullDate(iso: string): string {
  return ordinal(FULL.format(day(iso)));
}

/** "+33612345678" -> "06 12 34 56 78" (and the overseas departments' numbers as dialled
 *  there: "+262692123456" -> "06 92 12 34 56"); another country's number stays as it is. */
export function phone(e164: string): string {
  const french = /^\+(?:33|262|590|594|596)(\d{9})$/.exec(e164);
  if (!french) return e164;
  return `0${french[1]}`.replace(/(\d{2})(?=\d)/g, "$1 ");
}

const COUNT = new Intl.NumberFormat("fr-FR");

/** 1234 -> "1 234". */
export function count(value: number): string {
  return COUNT.format(value);
}

/** What a person types for an hour ("18 h 30", "18h30", "18:30", "9 h") -> "18:30", or null. */
export function parseHour(text: string): string | null {
  const found = /^\s*([01]?\d|2[0-3])\s*(?:h|:)\s*([0-5]\d)?\s*$/i.exec(text);
  if (!found) return null;
  return `${found[1]!.padStart(2, "0")}:${found[2] ?? "00"}`;
}

const MOMENT = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "numeric",
  minute: "2-digit",
  timeZone: "Europe/Paris",
});

/** An instant of the API ("2026-12-12T17:30:00Z") in Paris: "samedi 12 décembre 2026 à 18 h 30". */
export function moment(iso: string): string {
  const parts = Object.fromEntries(MOMENT.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  const minutes = parts.minute === "00" ? "" : ` ${parts.minute}`;
  return `${ordinal(`${parts.weekday} ${parts.day} ${parts.month} ${parts.year}`)} à ${Number(parts.hour)} h${minutes}`;
}

/** A number and its noun as French agrees them (0 and 1 take the singular): "1 candidature",
 *  "12 candidatures", "2 places non retenues". */
export function counted(value: number, singular: string, plural = `${singular}s`): string {
  return `${count(value)} ${value > 1 ? plural : singular}`;
}
