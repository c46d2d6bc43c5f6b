"""The French words for the account's codes: civility, subscriptions, states, roles, links,
sign-ups and security events."""

from cma.accounts.models import (
    AccountStatus,
    Civility,
    Role,
    SecurityEventKind,
    SignupKind,
    TokenPurpose,
    Topic,
)

CIVILITY_LABELS = {
    Civility.NON_PRECISEE: "Non précisée",
    Civility.MADAME: "Madame",
    Civility.MONSIEUR: "Monsieur",
}

TOPIC_LABELS = {
    Topic.INFORMATION_MAIRIE: (
        "J'accepte de recevoir des informations de la part de la Mairie de Paris"
    ),
}

ACCOUNT_STATUS_LABELS = {AccountStatus.ACTIVE: "Actif"}

ROLE_LABELS = {Role.LEARNER: "Apprenant", Role.STAFF: "Agent de la Ville"}

PURPOSE_LABELS = {
    TokenPurpose.PASSWORD_RESET: "Choisir un nouveau mot de passe",
    TokenPurpose.EMAIL_CHANGE: "Confirmer une nouvelle adresse mail",
}

SIGNUP_KIND_LABELS = {
    SignupKind.SIGN_UP: "Je crée mon compte",
    SignupKind.INVITATION: "Invitation d'un agent",
}

SECURITY_EVENT_LABELS = {
    SecurityEventKind.STAFF_GRANTED: "Droits d'agent donnés",
    SecurityEventKind.STAFF_INVITED: "Invitation d'agent envoyée",
    SecurityEventKind.INVITATION_ACCEPTED: "Invitation d'agent acceptée",
    SecurityEventKind.STAFF_REVOKED: "Droits d'agent retirés",
}
