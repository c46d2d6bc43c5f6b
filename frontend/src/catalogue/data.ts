// Reads of the catalogue, shared by its pages.
import { api, call, type Schemas } from "../api/client";
import type { paths } from "../api/schema";

export type Domain = Schemas["DomainOut"];
export type Campaign = Schemas["CampaignOut"];
export type CourseSummary = Schemas["CourseSummary"];
export type CourseDetail = Schemas["CourseDetail"];
export type PageSummary = Schemas["PageSummary"];

// The French words of the API's codes, typed from the generated schema: a code added or
// renamed there and not here fails `npm run typecheck`.
type CourseQuery = NonNullable<paths["/api/v1/courses"]["get"]["parameters"]["query"]>;

export const LEVELS: Record<Schemas["Level"], string> = {
  tous_niveaux: "Tous niveaux",
  debutant: "Débutant",
  elementaire: "Élémentaire",
  intermediaire: "Intermédiaire",
  avance: "Avancé",
};
export const PERIODS: Record<Schemas["Period"], string> = {
  annual: "Cours annuel",
  first_semester: "Premier semestre",
  second_semester: "Second semestre",
};
export const COVERS: Record<Schemas["Covers"], string> = {
  annual_and_first_semester: "Cours annuels et premier semestre",
  second_semester: "Cours du second semestre",
};
export const WEEKDAYS: Record<"1" | "2" | "3" | "4" | "5" | "6", string> = {
  "1": "Lundi",
  "2": "Mardi",
  "3": "Mercredi",
  "4": "Jeudi",
  "5": "Vendredi",
  "6": "Samedi",
};
export const TIMES_OF_DAY: Record<NonNullable<CourseQuery["time_of_day"]>, string> = {
  matin: "Matin",
  "apres-midi": "Après-midi",
  soir: "Soir",
};

export const domains = () => call(api.GET("/api/v1/domains"));
export const pages = () => call(api.GET("/api/v1/pages"));

export const allCampaigns = () => call(api.GET("/api/v1/campaigns"));

/** Today in Paris, as the API writes a day ("2026-12-04"). */
export function parisToday(): string {
  return new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Paris" }).format(new Date());
}

/** The school year a learner applies for now: the earliest with a campaign not over yet (a
 *  next year staff are preparing waits until this one ends), else the latest. */
export async function currentCalendar(): Promise<Campaign[]> {
  const all = await allCampaigns();
  const today = parisToday();
  const running = all.filter((c) => c.response_end >= today).map((c) => c.school_year).sort();
  const year = running[0] ?? all.reduce((latest, c) => (c.school_year > latest ? c.school_year : latest), "");
  return all.filter((c) => c.school_year === year);
}
