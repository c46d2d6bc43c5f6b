// Between the old-account login and the "Appairage" form: the ticket and the old record, kept
// in memory only (a reload means logging in to the old account again).
import { reactive } from "vue";
import type { Schemas } from "../api/client";
import { phone } from "../shared/format";

export const pairing = reactive<{ ticket: string; record: Schemas["LegacyRecord"] | null }>({
  ticket: "",
  record: null,
});

export type Fiche = {
  title: string;
  last_name: string;
  birth_name: string;
  first_name: string;
  birth_date: string;
  birth_country: string;
  address: string;
  address_2: string;
  address_3: string;
  postal_code: string;
  city: string;
  mobile_phone: string;
  landline_phone: string;
  heard_from: string;
};

export function emptyFiche(): Fiche {
  return {
    title: "", last_name: "", birth_name: "", first_name: "", birth_date: "", birth_country: "",
    address: "", address_2: "", address_3: "", postal_code: "", city: "", mobile_phone: "",
    landline_phone: "", heard_from: "",
  };
}

/** Fill what is known, leave the rest as it is. */
export function prefill(fiche: Fiche, known: Partial<Record<keyof Fiche, unknown>>): void {
  for (const key of Object.keys(fiche) as (keyof Fiche)[]) {
    const value = known[key];
    // Phones come back as the server keeps them (+33…): shown as they were typed.
    if (typeof value === "string" && value) fiche[key] = key.endsWith("_phone") ? phone(value) : value;
  }
}
