// How many courses "Mon panier" holds, for the badge of its tab, and which ones, for the
// course pages ("Dans votre panier"). Refreshed when the session changes and set by every page
// that changes the basket.
import { reactive } from "vue";
import { api, call, type Schemas } from "../api/client";

export const basketCount = reactive<{ value: number | null; codes: string[] }>({
  value: null,
  codes: [],
});

export function showBasket(basket: Schemas["BasketOut"]): void {
  basketCount.value = basket.items.length;
  basketCount.codes = basket.items.map((item) => item.course.code);
}

export async function refreshBasketCount(hasRecord: boolean): Promise<void> {
  if (!hasRecord) {
    basketCount.value = null;
    basketCount.codes = [];
    return;
  }
  showBasket(await call(api.GET("/api/v1/me/basket")));
}
