import { describe, expect, it } from "vitest";
import {
  birthDateProblem,
  collect,
  confirmationProblem,
  emailProblem,
  mobileProblem,
  passwordProblem,
  passwordProblems,
  postalCodeProblem,
  required,
} from "./rules";

describe("password policy, as the sign-up page words it", () => {
  it.each([
    ["Court1a", "au minimum 8 caractères"],
    ["minuscule1", "au moins une majuscule"],
    ["MAJUSCULE1", "au moins une minuscule"],
    ["SansChiffre", "au moins un chiffre"],
    ["Special1!x", "caractères spéciaux"],
    ["Accentué1A", "caractères spéciaux"],
    ["Avec Espace1", "caractères spéciaux"],
    ["A1" + "a".repeat(63), "au maximum 64 caractères"],
  ])("refuses %s", (password, message) => {
    expect(passwordProblem(password)).toContain(message);
  });

  it.each(["Abcdefg1", "A1" + "b".repeat(62), "12345678aB"])("accepts %s", (password) => {
    expect(passwordProblems(password)).toEqual([]);
  });

  it("says every rule an empty password breaks", () => {
    expect(passwordProblems("")).toHaveLength(4);
  });
});

describe("email", () => {
  it("accepts an address with spaces around it", () => {
    expect(emailProblem("  auditeur.cma@yopmail.com ")).toBeNull();
  });
  it.each(["pas-une-adresse", "a@b", "a b@c.fr"])("refuses %s", (value) => {
    expect(emailProblem(value)).toBe(
      "L'adresse mail n'est pas valide (exemple : prenom.nom@exemple.fr).",
    );
  });
  it("asks for it when empty", () => {
    expect(emailProblem("")).toBe("Veuillez saisir votre adresse mail.");
  });
});

describe("mobile phone", () => {
  it.each(["", "06 12 34 56 78", "07.98.76.54.32", "+33 6 12 34 56 78", "0692 12 34 56", "0033612345678"])(
    "accepts %j",
    (value) => {
      expect(mobileProblem(value)).toBeNull();
    },
  );
  it("refuses a landline with the server's message", () => {
    expect(mobileProblem("01 23 45 67 89")).toBe(
      "Veuillez indiquer un numéro de téléphone portable (06 ou 07 en métropole).",
    );
  });
  it.each(["06 12", "abc", "+12"])("refuses %j as invalid", (value) => {
    expect(mobileProblem(value)).toBe("Le numéro de téléphone n'est pas valide.");
  });
});

describe("other fields", () => {
  it("checks the confirmation", () => {
    expect(confirmationProblem("Abcdefg1", "Abcdefg2")).toBe(
      "La confirmation ne correspond pas au mot de passe.",
    );
    expect(confirmationProblem("Abcdefg1", "")).toBe("Ce champ est obligatoire.");
    expect(confirmationProblem("Abcdefg1", "Abcdefg1")).toBeNull();
  });

  it("checks postal codes", () => {
    expect(postalCodeProblem("75 011")).toBeNull();
    expect(postalCodeProblem("")).toBeNull();
    expect(postalCodeProblem("7501")).toBe("Le code postal doit contenir 5 chiffres.");
  });

  it("wants a birth date in the past", () => {
    const today = new Date(2026, 10, 28);
    expect(birthDateProblem("1990-04-12", today)).toBeNull();
    expect(birthDateProblem("2026-11-28", today)).toBe("La date de naissance doit être dans le passé.");
    expect(birthDateProblem("1850-01-01", today)).toBe("La date de naissance n'est pas plausible.");
  });

  it("requires checkboxes and text alike", () => {
    expect(required(false)).toBe("Ce champ est obligatoire.");
    expect(required(true)).toBeNull();
    expect(required("  ")).toBe("Ce champ est obligatoire.");
  });

  it("collects only the problems", () => {
    expect(collect({ email: null, password: "trop court" })).toEqual({ password: "trop court" });
  });
});

describe("the fiche", () => {
  const today = new Date(2026, 10, 28);
  it("wants an adult", async () => {
    const { adultProblem } = await import("./rules");
    expect(adultProblem("2008-11-28", today)).toBeNull();
    expect(adultProblem("2008-11-29", today)).toContain("18 ans et plus");
    expect(adultProblem("", today)).toBe("Ce champ est obligatoire.");
  });
  it("checks a landline", async () => {
    const { phoneProblem } = await import("./rules");
    expect(phoneProblem("01 43 55 12 12")).toBeNull();
    expect(phoneProblem("12")).toBe("Le numéro de téléphone n'est pas valide.");
  });
});

describe("a date in three fields", () => {
  const parts = (day: string, month: string, year: string) => ({ day, month, year });
  it("names the part that is missing or wrong", async () => {
    const { datePartsProblem } = await import("./rules");
    const label = "La date de naissance";
    expect(datePartsProblem(parts("", "", ""), label, true)).toEqual({ message: "Ce champ est obligatoire.", part: null });
    expect(datePartsProblem(parts("", "", ""), label, false)).toBeNull();
    expect(datePartsProblem(parts("", "4", "1990"), label, true)).toEqual({ message: "La date de naissance doit comporter un jour.", part: "day" });
    expect(datePartsProblem(parts("12", "", "1990"), label, true)?.part).toBe("month");
    expect(datePartsProblem(parts("12", "4", ""), label, true)?.message).toBe("La date de naissance doit comporter une année.");
    expect(datePartsProblem(parts("32", "4", "1990"), label, true)?.part).toBe("day");
    expect(datePartsProblem(parts("12", "13", "1990"), label, true)?.message).toBe("Le mois doit être un nombre entre 1 et 12.");
    expect(datePartsProblem(parts("12", "4", "90"), label, true)?.message).toContain("4 chiffres");
    expect(datePartsProblem(parts("31", "2", "1990"), label, true)?.message).toContain("n'existe pas");
    expect(datePartsProblem(parts("29", "2", "2000"), label, true)).toBeNull();
  });
  it("turns parts into an ISO date and back", async () => {
    const { isoOfParts, splitIsoDate } = await import("./rules");
    expect(isoOfParts(parts(" 1", "4 ", "1990"))).toBe("1990-04-01");
    // What people put around numbers is not an error: spaces, a dot.
    expect(isoOfParts(parts("12.", " 4.", " 1990 "))).toBe("1990-04-12");
    expect(isoOfParts(parts("31", "2", "1990"))).toBe("");
    expect(splitIsoDate("1990-04-01")).toEqual(parts("1", "4", "1990"));
    expect(splitIsoDate(null)).toEqual(parts("", "", ""));
  });
});
