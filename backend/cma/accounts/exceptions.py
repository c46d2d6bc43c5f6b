"""Refusals of the Paris account context, each with its status, stable code and French text."""

from cma.core.problems import FieldError, ProblemError


class CaptchaNotFound(ProblemError):
    status = 404
    code = "captcha-not-found"
    title = "Code de vérification introuvable"
    detail = "Ce code de vérification a expiré ou a déjà servi. Demandez-en un nouveau."


class CaptchaInvalid(ProblemError):
    status = 422
    code = "captcha-invalid"
    title = "Code de vérification incorrect"
    detail = "Le code de vérification saisi est incorrect. Veuillez saisir le nouveau code."

    def __init__(self, detail: str | None = None) -> None:
        message = detail or type(self).detail
        super().__init__(
            message,
            errors=[FieldError(field="captcha_answer", message=message, code=self.code)],
        )


class CaptchaRequired(ProblemError):
    """Too many failed attempts on this login: the next one must come with a solved code."""

    status = 422
    code = "captcha-required"
    title = "Code de vérification demandé"
    detail = (
        "Par sécurité, après plusieurs essais sans succès, recopiez aussi le code de "
        "vérification pour vous connecter."
    )

    def __init__(self) -> None:
        super().__init__(
            errors=[FieldError(field="captcha_answer", message=self.detail, code=self.code)],
            extra={"captcha_required": True},
        )


class InvalidToken(ProblemError):
    status = 400
    code = "invalid-token"
    title = "Lien invalide ou expiré"
    detail = "Ce lien n'est pas valide ou a expiré. Vous pouvez en demander un nouveau."


class AlreadyActive(ProblemError):
    status = 409
    code = "already-active"
    title = "Compte déjà activé"
    detail = "Votre compte parisien est déjà activé. Vous pouvez vous connecter."


class InvalidCredentials(ProblemError):
    """A wrong address or password, and an account not yet activated, alike: which of these
    it is would tell who has an account."""

    status = 401
    code = "invalid-credentials"
    title = "Identifiants incorrects"
    detail = "L'adresse mail ou le mot de passe est incorrect."

    def __init__(self) -> None:
        super().__init__(
            extra={
                "activation_hint": (
                    "Vous venez de créer votre compte ? Activez-le d'abord avec le lien du mail "
                    "d'activation."
                ),
                "resend": "/api/v1/accounts/activation/resend",
            }
        )


class WrongPassword(ProblemError):
    status = 400
    code = "wrong-password"
    title = "Mot de passe incorrect"
    detail = "Le mot de passe actuel est incorrect."

    def __init__(self, field: str = "current_password", message: str | None = None) -> None:
        message = message or type(self).detail
        super().__init__(message, errors=[FieldError(field=field, message=message, code=self.code)])


class EmailTaken(ProblemError):
    status = 409
    code = "email-taken"
    title = "Adresse déjà utilisée"
    detail = "Cette adresse mail est déjà celle d'un autre compte parisien."
