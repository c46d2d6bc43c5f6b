// The staff's reads and words for campaigns, shared by the console's pages.
import { api, call, type Schemas } from "../api/client";

export type Overview = Schemas["CampaignOverview"];
export type Detail = Schemas["CampaignDetail"];

export const listCampaigns = () => call(api.GET("/api/v1/admin/campaigns"));

export const getCampaign = (id: number) =>
  call(api.GET("/api/v1/admin/campaigns/{campaign_id}", { params: { path: { campaign_id: id } } }));

/** Where the button of a campaign's next step leads, and what it says. */
export function nextStepLink(c: Overview): { to: string; label: string } | null {
  switch (c.next_step) {
    case "prepare":
      return { to: `/agents/catalogue?campagne=${c.id}`, label: "Voir le catalogue de la campagne" };
    case "close":
      return { to: `/agents/campagnes/${c.id}#cloture`, label: "Clore les inscriptions" };
    case "allocate":
      return { to: `/agents/campagnes/${c.id}/affectation`, label: "Préparer l'affectation" };
    case "wait":
    case "answer":
    case "follow":
      return { to: `/agents/campagnes/${c.id}/reponses`, label: c.next_step === "follow" ? "Suivre les réponses" : "Envoyer les réponses" };
    default:
      return null;
  }
}
