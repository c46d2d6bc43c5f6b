// The form rules of the server (backend/cma/core/validation.py, accounts/passwords.py),
// checked in the browser before sending, with the same French messages.

export const REQUIRED = "Ce champ est obligatoire.";

export const POLICY_TEXT =
  "Votre mot de passe doit contenir au minimum 8 caractères avec une majuscule, une minuscule et un chiffre - Les caractères spéciaux ne sont pas autorisés";

export type Problems = Record<string, string>;

export function required(value: string | boolean | null | undefined): string | null {
  if (typeof value === "boolean") return value ? null : REQUIRED;
  return value && value.trim() ? null : REQUIRED;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function emailProblem(value: string): string | null {
  const trimmed = value.trim();
  if (!trimmed) return "Veuillez saisir votre adresse mail.";
  if (!EMAIL.test(trimmed) || trimmed.length > 254) {
    return "L'adresse mail n'est pas valide (exemple : prenom.nom@exemple.fr).";
  }
  return null;
}

export function passwordProblems(value: string, min = 8, max = 64): string[] {
  const found: string[] = [];
  if (value.length < min) found.push(`Le mot de passe doit contenir au minimum ${min} caractères.`);
  if (value.length > max) found.push(`Le mot de passe doit contenir au maximum ${max} caractères.`);
  if (!/^[A-Za-z0-9]*$/.test(value)) {
    found.push("Les caractères spéciaux (espaces, accents, ponctuation…) ne sont pas autorisés.");
  }
  if (!/[A-Z]/.test(value)) found.push("Le mot de passe doit contenir au moins une majuscule.");
  if (!/[a-z]/.test(value)) found.push("Le mot de passe doit contenir au moins une minuscule.");
  if (!/[0-9]/.test(value)) found.push("Le mot de passe doit contenir au moins un chiffre.");
  return found;
}

export function passwordProblem(value: string): string | null {
  const found = passwordProblems(value);
  return found.length ? found.join(" ") : null;
}

export function confirmationProblem(password: string, confirmation: string): string | null {
  if (!confirmation) return REQUIRED;
  return password === confirmation ? null : "La confirmation ne correspond pas au mot de passe.";
}

// Mobiles start with 06 or 07, overseas departments' included (0639, 0690…0697).
const NATIONAL_MOBILE = /^0[67]\d{8}$/;
const INTERNATIONAL = /^\+\d{8,15}$/;

/** Optional French mobile; the server has the final word (it knows every numbering plan). */
export function mobileProblem(value: string): string | null {
  const compact = value.replace(/[\s.\-()]/g, "").replace(/^00/, "+");
  if (!compact) return null;
  if (compact.startsWith("+")) {
    if (!INTERNATIONAL.test(compact)) return "Le numéro de téléphone n'est pas valide.";
    return null;
  }
  if (!/^0\d{9}$/.test(compact)) return "Le numéro de téléphone n'est pas valide.";
  if (!NATIONAL_MOBILE.test(compact)) {
    return "Veuillez indiquer un numéro de téléphone portable (06 ou 07 en métropole).";
  }
  return null;
}

export function postalCodeProblem(value: string): string | null {
  const compact = value.replace(/\s/g, "");
  if (!compact) return null;
  return /^\d{5}$/.test(compact) ? null : "Le code postal doit contenir 5 chiffres.";
}

/** A date typed in three fields (jour, mois, année), as the best public services ask for it. */
export interface DateParts {
  day: string;
  month: string;
  year: string;
}

export type DatePart = keyof DateParts;

/** What is wrong with the parts, and which part it is about (none: the whole date). */
export interface DatePartsProblem {
  message: string;
  part: DatePart | null;
}

export function splitIsoDate(iso: string | null | undefined): DateParts {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso ?? "");
  if (!match) return { day: "", month: "", year: "" };
  return { day: String(Number(match[3])), month: String(Number(match[2])), year: match[1]! };
}

/** A part as typed, less what people put around numbers (spaces, a dot: "12.", " 4 "). */
function digitsOf(part: string): string {
  return part.replace(/[\s.]/g, "");
}

/** The ISO date of complete, existing parts; "" otherwise. */
export function isoOfParts(parts: DateParts): string {
  if (datePartsProblem(parts, "", true)) return "";
  const day = digitsOf(parts.day).padStart(2, "0");
  const month = digitsOf(parts.month).padStart(2, "0");
  return `${digitsOf(parts.year)}-${month}-${day}`;
}

/** `label` names the date in the messages ("La date de naissance doit comporter un jour."). */
export function datePartsProblem(
  parts: DateParts,
  label: string,
  required: boolean,
  yearExample = "1990",
): DatePartsProblem | null {
  const day = digitsOf(parts.day);
  const month = digitsOf(parts.month);
  const year = digitsOf(parts.year);
  if (!day && !month && !year) return required ? { message: REQUIRED, part: null } : null;
  if (!day) return { message: `${label} doit comporter un jour.`, part: "day" };
  if (!month) return { message: `${label} doit comporter un mois.`, part: "month" };
  if (!year) return { message: `${label} doit comporter une année.`, part: "year" };
  if (!/^\d{1,2}$/.test(day) || Number(day) < 1 || Number(day) > 31) {
    return { message: "Le jour doit être un nombre entre 1 et 31.", part: "day" };
  }
  if (!/^\d{1,2}$/.test(month) || Number(month) < 1 || Number(month) > 12) {
    return { message: "Le mois doit être un nombre entre 1 et 12.", part: "month" };
  }
  if (!/^\d{4}$/.test(year)) {
    return { message: `L'année doit comporter 4 chiffres, par exemple ${yearExample}.`, part: "year" };
  }
  const date = new Date(Number(year), Number(month) - 1, Number(day));
  if (date.getMonth() !== Number(month) - 1) {
    return { message: "Cette date n'existe pas : vérifiez le jour et le mois.", part: "day" };
  }
  return null;
}

export function birthDateProblem(value: string, today = new Date()): string | null {
  if (!value) return null;
  const date = new Date(`${value}T00:00:00`);
  if (Number.isNaN(date.getTime())) return "Ce champ doit être une date au format AAAA-MM-JJ.";
  const midnight = new Date(today.getFullYear(), today.getMonth(), today.getDate());
  if (date >= midnight) return "La date de naissance doit être dans le passé.";
  if (date.getFullYear() < 1900) return "La date de naissance n'est pas plausible.";
  return null;
}

/** Run `checks` (field -> problem or null) and keep the problems. */
export function collect(checks: Record<string, string | null>): Problems {
  const problems: Problems = {};
  for (const [field, problem] of Object.entries(checks)) {
    if (problem) problems[field] = problem;
  }
  return problems;
}

export const ONE_PHONE =
  "Veuillez indiquer au moins un téléphone (le téléphone mobile est indispensable pour être prévenu d'une annulation éventuelle d'un cours).";

/** 18 or older today: the CMA are for adults. */
export function adultProblem(value: string, today = new Date()): string | null {
  if (!value) return REQUIRED;
  const past = birthDateProblem(value, today);
  if (past) return past;
  const [y, m, d] = value.split("-").map(Number) as [number, number, number];
  const age = today.getFullYear() - y - (today.getMonth() + 1 < m || (today.getMonth() + 1 === m && today.getDate() < d) ? 1 : 0);
  return age >= 18 ? null : "Les Cours Municipaux d'Adultes sont ouverts aux personnes de 18 ans et plus.";
}

/** The fiche's landline: any French number. */
export function phoneProblem(value: string): string | null {
  const compact = value.replace(/[\s.\-()]/g, "").replace(/^00/, "+");
  if (!compact) return null;
  return /^(0\d{9}|\+\d{8,15})$/.test(compact) ? null : "Le numéro de téléphone n'est pas valide.";
}
