export const PRIORITY_LABELS: Record<string, string> = {
  aucune: "Aucune",
  demandeur_emploi: "Demandeur d'emploi",
  rsa: "Bénéficiaire du RSA",
  autre_minima_sociaux: "Bénéficiaire d'un autre minimum social",
};
