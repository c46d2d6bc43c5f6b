import type { Schemas } from "../api/client";

// Typed from the generated schema: a situation added there and not here fails the typecheck.
export const PRIORITY_LABELS: Record<Schemas["PrioritySituation"], string> = {
  aucune: "Aucune",
  demandeur_emploi: "Demandeur d'emploi",
  rsa: "Bénéficiaire du RSA",
  autre_minima_sociaux: "Bénéficiaire d'un autre minimum social",
};
