// A page that moves the learner along the first journey (a basket submitted, an answer given)
// says so here, and the step indicator reads the applications again.
import { ref } from "vue";

export const journeyVersion = ref(0);

export function journeyChanged(): void {
  journeyVersion.value += 1;
}
