"""The French words for a message's channel and state."""

from cma.notifications.models import Channel, OutboxStatus

MESSAGE_STATUS_LABELS = {
    OutboxStatus.PENDING: "En attente d'envoi",
    OutboxStatus.SENT: "Envoyé",
    OutboxStatus.FAILED: "En échec",
}

CHANNEL_LABELS = {Channel.MAIL: "Mail", Channel.SMS: "SMS"}
