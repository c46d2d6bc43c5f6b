import { nextTick } from "vue";
import { START_LOCATION, createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { forget, loadSession, session } from "./accounts/session";
import { onSessionLost } from "./api/client";

declare module "vue-router" {
  interface RouteMeta {
    title: string;
    requiresAccount?: boolean;
  }
}

const routes: RouteRecordRaw[] = [
  { path: "/", component: () => import("./catalogue/HomePage.vue"), meta: { title: "Accueil" } },
  {
    path: "/catalogue",
    component: () => import("./catalogue/CataloguePage.vue"),
    meta: { title: "Catalogue" },
  },
  {
    path: "/catalogue/:code",
    component: () => import("./catalogue/CoursePage.vue"),
    meta: { title: "Fiche du cours" },
  },
  {
    path: "/informations/:slug",
    component: () => import("./catalogue/InfoPage.vue"),
    meta: { title: "Informations" },
  },
  {
    path: "/donnees-personnelles",
    component: () => import("./legal/PersonalDataPage.vue"),
    meta: { title: "Données personnelles" },
  },
  {
    path: "/mentions-legales",
    component: () => import("./legal/LegalNoticePage.vue"),
    meta: { title: "Mentions légales" },
  },
  {
    path: "/conditions-generales-d-utilisation",
    component: () => import("./legal/TermsPage.vue"),
    meta: { title: "Conditions générales d'utilisation" },
  },
  {
    path: "/accessibilite",
    component: () => import("./legal/AccessibilityPage.vue"),
    meta: { title: "Déclaration d'accessibilité" },
  },
  {
    path: "/plan-du-site",
    component: () => import("./legal/SiteMapPage.vue"),
    meta: { title: "Plan du site" },
  },
  {
    path: "/contact",
    component: () => import("./legal/ContactPage.vue"),
    meta: { title: "Contact" },
  },
  {
    path: "/connexion",
    component: () => import("./accounts/LoginPage.vue"),
    meta: { title: "Se connecter à Mon compte" },
  },
  {
    path: "/inscription",
    component: () => import("./accounts/SignupPage.vue"),
    meta: { title: "Je crée mon compte" },
  },
  {
    path: "/inscription/presque-fini",
    component: () => import("./accounts/AlmostDonePage.vue"),
    meta: { title: "C'est presque fini !" },
  },
  {
    path: "/activation",
    component: () => import("./accounts/ActivationPage.vue"),
    meta: { title: "Activation de votre compte parisien" },
  },
  {
    path: "/invitation",
    component: () => import("./accounts/InvitationPage.vue"),
    meta: { title: "Créer votre compte d'agent" },
  },
  {
    path: "/mot-de-passe-oublie",
    component: () => import("./accounts/ForgotPasswordPage.vue"),
    meta: { title: "Mot de passe oublié ?" },
  },
  {
    path: "/mot-de-passe/nouveau",
    component: () => import("./accounts/ResetPasswordPage.vue"),
    meta: { title: "Choisir un nouveau mot de passe" },
  },
  {
    path: "/mon-compte/adresse",
    component: () => import("./accounts/EmailConfirmPage.vue"),
    meta: { title: "Confirmation de votre nouvelle adresse mail" },
  },
  {
    path: "/panier",
    component: () => import("./enrolment/BasketPage.vue"),
    meta: { title: "Mon panier", requiresAccount: true },
  },
  {
    path: "/historique",
    component: () => import("./enrolment/HistoryPage.vue"),
    meta: { title: "Mon historique", requiresAccount: true },
  },
  {
    path: "/cma/premiere-connexion",
    component: () => import("./learners/ChoicePage.vue"),
    meta: { title: "Rattacher votre compte CMA", requiresAccount: true },
  },
  {
    path: "/cma/fiche",
    component: () => import("./learners/NewFichePage.vue"),
    meta: { title: "Compléter votre fiche", requiresAccount: true },
  },
  {
    path: "/cma/appairage",
    component: () => import("./learners/PairingPage.vue"),
    meta: { title: "Appairage de votre compte parisien", requiresAccount: true },
  },
  {
    path: "/cma/comptes-connectes",
    component: () => import("./learners/LinkedPage.vue"),
    meta: { title: "Vos comptes sont connectés", requiresAccount: true },
  },
  {
    path: "/ancien-compte/mot-de-passe-oublie",
    component: () => import("./learners/LegacyForgotPage.vue"),
    meta: { title: "Mot de passe oublié de votre ancien compte CMA" },
  },
  {
    path: "/ancien-compte/mot-de-passe",
    component: () => import("./learners/LegacyResetPage.vue"),
    meta: { title: "Nouveau mot de passe de votre ancien compte CMA" },
  },
  {
    path: "/mon-compte",
    component: () => import("./accounts/account/AccountLayout.vue"),
    meta: { title: "Mon compte", requiresAccount: true },
    children: [
      { path: "", redirect: "/mon-compte/profil" },
      {
        path: "profil",
        component: () => import("./accounts/account/ProfilePage.vue"),
        meta: { title: "Mon profil", requiresAccount: true },
      },
      {
        path: "fiche",
        component: () => import("./learners/MyFichePage.vue"),
        meta: { title: "Ma fiche CMA", requiresAccount: true },
      },
      {
        path: "demandes",
        component: () => import("./accounts/account/RequestsPage.vue"),
        meta: { title: "Mes demandes", requiresAccount: true },
      },
      {
        path: "reponses",
        component: () => import("./enrolment/AnswersPage.vue"),
        meta: { title: "Réponses aux candidatures", requiresAccount: true },
      },
      {
        path: "abonnements",
        component: () => import("./accounts/account/SubscriptionsPage.vue"),
        meta: { title: "Mes abonnements", requiresAccount: true },
      },
      {
        path: "parametres",
        component: () => import("./accounts/account/SettingsPage.vue"),
        meta: { title: "Mes paramètres", requiresAccount: true },
      },
    ],
  },
  {
    path: "/agents",
    component: () => import("./staff/StaffLayout.vue"),
    meta: { title: "Espace agents", requiresAccount: true },
    children: [
      {
        path: "",
        component: () => import("./staff/DashboardPage.vue"),
        meta: { title: "Tableau de bord — Espace agents", requiresAccount: true },
      },
      {
        path: "campagnes/nouvelle",
        component: () => import("./staff/CampaignFormPage.vue"),
        meta: { title: "Nouvelle campagne — Espace agents", requiresAccount: true },
      },
      {
        path: "campagnes/:id(\\d+)",
        component: () => import("./staff/CampaignPage.vue"),
        meta: { title: "Campagne — Espace agents", requiresAccount: true },
      },
      {
        path: "campagnes/:id(\\d+)/modifier",
        component: () => import("./staff/CampaignFormPage.vue"),
        meta: { title: "Modifier la campagne — Espace agents", requiresAccount: true },
      },
      {
        path: "campagnes/:id(\\d+)/affectation",
        component: () => import("./staff/AllocationPage.vue"),
        meta: { title: "Affectation des places — Espace agents", requiresAccount: true },
      },
      {
        path: "campagnes/:id(\\d+)/reponses",
        component: () => import("./staff/ResponsesPage.vue"),
        meta: { title: "Réponses aux candidatures — Espace agents", requiresAccount: true },
      },
      {
        path: "catalogue",
        component: () => import("./staff/CataloguePage.vue"),
        meta: { title: "Catalogue des cours — Espace agents", requiresAccount: true },
      },
      {
        path: "catalogue/nouveau",
        component: () => import("./staff/CourseEditPage.vue"),
        meta: { title: "Nouveau cours — Espace agents", requiresAccount: true },
      },
      {
        path: "pages",
        component: () => import("./staff/PagesPage.vue"),
        meta: { title: "Pages d'information — Espace agents", requiresAccount: true },
      },
      {
        path: "pages/nouvelle",
        component: () => import("./staff/PageEditPage.vue"),
        meta: { title: "Nouvelle page d'information — Espace agents", requiresAccount: true },
      },
      {
        path: "pages/:slug([a-z0-9-]+)",
        component: () => import("./staff/PageEditPage.vue"),
        meta: { title: "Modifier une page d'information — Espace agents", requiresAccount: true },
      },
      {
        path: "apprenants",
        component: () => import("./staff/LearnersPage.vue"),
        meta: { title: "Apprenants — Espace agents", requiresAccount: true },
      },
      {
        path: "apprenants/:id([0-9a-f-]{36})",
        component: () => import("./staff/LearnerPage.vue"),
        meta: { title: "Fiche d'un apprenant — Espace agents", requiresAccount: true },
      },
      {
        path: "appairages",
        component: () => import("./staff/PairingJournalPage.vue"),
        meta: { title: "Journal des appairages — Espace agents", requiresAccount: true },
      },
      {
        path: "catalogue/:code([A-Za-z]{2,4}\\d{3,5})",
        component: () => import("./staff/CourseEditPage.vue"),
        meta: { title: "Modifier un cours — Espace agents", requiresAccount: true },
      },
    ],
  },
  // The retired back office's bookmarks lead to its successor.
  { path: "/back-office/:rest(.*)*", redirect: "/agents" },
  {
    path: "/:missing(.*)*",
    component: () => import("./shared/NotFoundPage.vue"),
    meta: { title: "Page introuvable" },
  },
];

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 }),
});

onSessionLost(() => {
  forget();
  const current = router.currentRoute.value;
  if (current.meta.requiresAccount) {
    void router.push({ path: "/connexion", query: { suite: current.fullPath, expiree: "1" } });
  }
});

router.beforeEach(async (to) => {
  if (!session.loaded) await loadSession();
  if (to.meta.requiresAccount && !session.account) {
    return { path: "/connexion", query: { suite: to.fullPath } };
  }
  return true;
});

router.afterEach(async (to, from) => {
  document.title = `${to.meta.title} — Cours Municipaux d'Adultes`;
  // A page loaded from the address bar starts at the top, skip link first; after a navigation
  // inside the app, the focus moves to the new page's title so that screen readers announce it.
  if (from === START_LOCATION) return;
  await nextTick();
  document.querySelector<HTMLElement>("main h1")?.focus();
});
