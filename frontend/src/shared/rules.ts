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
