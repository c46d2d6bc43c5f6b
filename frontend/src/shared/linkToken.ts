// The token of a mailed link. It rides in the URL's fragment (`/activation#token=…`), which no
// browser sends to a server: no access log, proxy or `Referer` ever sees it. Links mailed
// before carried it as `?token=`; both are read. Once read, the token leaves the address bar
// (no history entry, bookmark or screenshot keeps it) and stays in the page's memory only.
import { type Ref, ref, watch } from "vue";
import { useRoute, useRouter } from "vue-router";

/** The token found in a location's fragment or query, or "". */
export function tokenIn(hash: string, query: Record<string, unknown>): string {
  const fromHash = new URLSearchParams(hash.replace(/^#/, "")).get("token");
  if (fromHash) return fromHash;
  return typeof query.token === "string" ? query.token : "";
}

/** The current page's link token, taken out of the address bar; another link opened in the
 *  same tab (only its fragment differs) replaces it. */
export function useLinkToken(): Ref<string> {
  const route = useRoute();
  const router = useRouter();
  const token = ref("");
  watch(
    () => [route.hash, route.query.token],
    () => {
      const found = tokenIn(route.hash, route.query);
      if (!found) return;
      token.value = found;
      const { token: _dropped, ...query } = route.query;
      void router.replace({ path: route.path, query, hash: "" });
    },
    { immediate: true },
  );
  return token;
}
