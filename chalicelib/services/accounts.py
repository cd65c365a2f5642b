"""Sign-in and account life cycle on Cognito: login, first-login password, refresh, reset, invitations."""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, Unauthenticated, ValidationFailed
from chalicelib.services import activity, events, mail
from chalicelib.store.models import UserItem
from chalicelib.store.users import find_user, save_new_user
from chalicelib.tokens import verify_id_token

logger = Logger(service="b2b-portal", child=True)

PORTAL_NAME = "the B2B ordering portal"


@dataclass(frozen=True)
class SignedIn:
    token: str
    refresh_token: str | None
    expires_in: int
    role: str

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"token": self.token, "expires_in": self.expires_in, "role": self.role}
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        return body


@dataclass(frozen=True)
class NewPasswordRequired:
    session: str

    def as_json(self) -> dict[str, Any]:
        return {"challenge": "NEW_PASSWORD_REQUIRED", "session": self.session}


def _cognito() -> Any:
    return client("cognito-idp")


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _signed_in(result: dict[str, Any], refresh_token: str | None = None, *, sign_in: bool = False) -> SignedIn:
    token = result["IdToken"]
    claims = verify_id_token(token)
    user = find_user(claims["sub"])
    if user is None:
        raise Unauthenticated("This sign-in has no account here.", code="unknown_account")
    if not user.active:
        raise Unauthenticated("This account is disabled; ask the supplier to enable it.", code="account_disabled")
    if sign_in:  # a sign-in with the password, not a token refresh
        try:
            activity.record_login(user.id, user.role)
        except Exception:  # noqa: BLE001 - a missed sign-in count must never block a sign-in
            logger.exception("could not record the sign-in")
        if user.client_id and user.last_login_at is None:  # the contact's first sign-in, once (keyed by the contact)
            events.announce("contact.first_login", user.id, quiet=True, client_id=user.client_id, contact_id=user.id,
                            email=user.email, name=user.name)
    return SignedIn(token, result.get("RefreshToken", refresh_token), int(result.get("ExpiresIn", 3600)), user.role)


def login(email: str, password: str) -> SignedIn | NewPasswordRequired:
    try:
        response = _cognito().initiate_auth(
            ClientId=settings().user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except ClientError as exc:
        if _code(exc) in {"NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException", "PasswordResetRequiredException"}:
            raise Unauthenticated("Email or password is wrong.", code="invalid_credentials") from exc
        raise
    if response.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        return NewPasswordRequired(response["Session"])
    if "AuthenticationResult" not in response:
        raise Unauthenticated("This sign-in needs a step the portal does not support.", code="unsupported_challenge")
    return _signed_in(response["AuthenticationResult"], sign_in=True)


def complete_new_password(email: str, session: str, new_password: str) -> SignedIn:
    try:
        response = _cognito().respond_to_auth_challenge(
            ClientId=settings().user_pool_client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password},
        )
    except ClientError as exc:
        _raise_password_problem(exc, "new_password")
        if _code(exc) in {"NotAuthorizedException", "CodeMismatchException", "ExpiredCodeException", "UserNotFoundException",
                          "ResourceNotFoundException"}:  # the last: moto's answer to a session it never issued
            raise Unauthenticated("The sign-in session is not valid any more; sign in again.", code="invalid_session") from exc
        raise
    return _signed_in(response["AuthenticationResult"], sign_in=True)


def refresh(refresh_token: str) -> SignedIn:
    try:
        response = _cognito().initiate_auth(
            ClientId=settings().user_pool_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    except ClientError as exc:
        if _code(exc) in {"NotAuthorizedException", "UserNotFoundException"}:
            raise Unauthenticated("The refresh token is not valid; sign in again.", code="invalid_refresh_token") from exc
        raise
    except KeyError as exc:  # moto answers an unknown refresh token with a server error
        raise Unauthenticated("The refresh token is not valid; sign in again.", code="invalid_refresh_token") from exc
    return _signed_in(response["AuthenticationResult"], refresh_token=None)


def logout(refresh_token: str) -> None:
    """Sign out: the refresh token (and every other one of its user) stops working.

    Cognito's RevokeToken would revoke this one token only, but moto does not implement it; the refresh token
    names its user (a refresh gives an ID token) and AdminUserGlobalSignOut revokes that user's refresh tokens,
    on AWS and on the local stack alike. A token that no longer works is signed out already: nothing to do.
    """
    try:
        result = _cognito().initiate_auth(ClientId=settings().user_pool_client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                          AuthParameters={"REFRESH_TOKEN": refresh_token})["AuthenticationResult"]
    except ClientError as exc:
        if _code(exc) in {"NotAuthorizedException", "UserNotFoundException"}:
            return
        raise
    except KeyError:  # moto answers an unknown refresh token with a server error
        return
    user = find_user(verify_id_token(result["IdToken"])["sub"])
    if user is not None:
        _cognito().admin_user_global_sign_out(UserPoolId=settings().user_pool_id, Username=user.email)


def forgot_password(email: str) -> None:
    """Ask Cognito to email a reset code. Silent about unknown emails (no account enumeration)."""
    try:
        _cognito().forgot_password(ClientId=settings().user_pool_client_id, Username=email)
    except ClientError as exc:
        if _code(exc) not in {"UserNotFoundException", "ResourceNotFoundException", "NotAuthorizedException",
                              "InvalidParameterException", "LimitExceededException"}:
            raise


def reset_password(email: str, code: str, new_password: str) -> None:
    try:
        _cognito().confirm_forgot_password(
            ClientId=settings().user_pool_client_id, Username=email, ConfirmationCode=code, Password=new_password
        )
    except ClientError as exc:
        _raise_password_problem(exc, "new_password")
        if _code(exc) in {"CodeMismatchException", "ExpiredCodeException", "UserNotFoundException",
                          "ResourceNotFoundException", "NotAuthorizedException", "LimitExceededException"}:
            raise ValidationFailed("The reset code is wrong or has expired; ask for a new one.", code="invalid_code", field="code") from exc
        raise


def _raise_password_problem(exc: ClientError, field: str) -> None:
    if _code(exc) == "InvalidPasswordException":
        raise ValidationFailed(
            "The password is too weak: at least 10 characters with upper and lower case letters and a number.",
            code="weak_password",
            field=field,
        ) from exc


def temporary_password() -> str:
    """A random password that meets the pool's policy."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(12))
    return core + secrets.choice(string.ascii_uppercase) + secrets.choice(string.ascii_lowercase) + secrets.choice(string.digits)


def open_account(user: UserItem, *, temporary: str | None, inviter: str, client_name: str | None = None,
                 invite: bool = True) -> UserItem:
    """Create the Cognito login and the user record, then email the invitation (unless `invite` is False:
    a contact without any permission cannot use the portal, so it gets no invitation until it has one).

    The login is created first; if the record cannot be written the login is removed again,
    so a failed call leaves nothing behind.
    """
    password = temporary or temporary_password()
    cognito = _cognito()
    try:
        created = cognito.admin_create_user(
            UserPoolId=settings().user_pool_id,
            Username=user.email,
            TemporaryPassword=password,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": user.email}, {"Name": "email_verified", "Value": "true"}],
        )
    except ClientError as exc:
        if _code(exc) == "UsernameExistsException":
            raise Conflict(f"{user.email} already has an account.", code="email_taken", field="email") from exc
        _raise_password_problem(exc, "temporary_password")
        if _code(exc) == "InvalidParameterException":
            raise ValidationFailed(str(exc.response["Error"].get("Message", "Invalid account details.")), code="invalid_value") from exc
        raise
    attributes = {a["Name"]: a["Value"] for a in created["User"].get("Attributes", [])}
    user.id = attributes.get("sub") or created["User"]["Username"]
    try:
        save_new_user(user)
    except Exception:
        cognito.admin_delete_user(UserPoolId=settings().user_pool_id, Username=user.email)
        raise
    if not invite:
        return user
    mail.send(
        "invitation",
        user.email,
        name=user.name,
        email=user.email,
        inviter=inviter,
        portal_name=PORTAL_NAME,
        client_name=client_name,
        temporary_password=password,
    )
    if user.client_id:
        events.announce("contact.invited", user.id, quiet=True, client_id=user.client_id, contact_id=user.id, email=user.email, name=user.name)
    return user


def disable_login(email: str) -> None:
    """The login stops working at once: Cognito refuses it and its refresh tokens are revoked (the portal also
    refuses a disabled contact's still-valid ID tokens: api/security.py)."""
    pool = settings().user_pool_id
    _cognito().admin_disable_user(UserPoolId=pool, Username=email)
    _cognito().admin_user_global_sign_out(UserPoolId=pool, Username=email)


def enable_login(email: str) -> None:
    _cognito().admin_enable_user(UserPoolId=settings().user_pool_id, Username=email)


def change_password(email: str, current: str, new_password: str) -> None:
    """Change a signed-in person's password after checking the current one (the pages keep no access token,
    so the check is a sign-in and the change an admin call)."""
    try:
        _cognito().initiate_auth(ClientId=settings().user_pool_client_id, AuthFlow="USER_PASSWORD_AUTH",
                                 AuthParameters={"USERNAME": email, "PASSWORD": current})
    except ClientError as exc:
        if _code(exc) in {"NotAuthorizedException", "UserNotFoundException"}:
            raise ValidationFailed("The current password is wrong.", code="invalid_credentials",
                                   field="current_password") from exc
        raise
    try:
        _cognito().admin_set_user_password(UserPoolId=settings().user_pool_id, Username=email,
                                           Password=new_password, Permanent=True)
    except ClientError as exc:
        _raise_password_problem(exc, "new_password")
        raise
