"""The API Gateway authorizer and the request's principal (who is calling, with which rights)."""
from __future__ import annotations

from dataclasses import dataclass, field

from chalice import AuthResponse, Blueprint
from chalice.app import AuthRequest, Request

from chalicelib.domain.access import BUYER, Capability, has_portal_access, may_see_client, role_can
from chalicelib.domain.errors import Forbidden, NotFound, Unauthenticated
from chalicelib.store.users import find_user
from chalicelib.tokens import verify_id_token

security = Blueprint(__name__)


@security.authorizer(ttl_seconds=300)
def token_authorizer(auth_request: AuthRequest) -> AuthResponse:
    """Verify the Bearer ID token. A bad one raises 'Unauthorized', which API Gateway answers with 401."""
    scheme, _, token = (auth_request.token or "").partition(" ")
    if scheme.lower() != "bearer":
        raise Exception("Unauthorized")  # API Gateway's contract for a 401 from a Lambda authorizer
    try:
        claims = verify_id_token(token.strip())
    except Unauthenticated:
        raise Exception("Unauthorized") from None
    # The cached policy is reused for every route with this token, so it allows all of them;
    # roles and permissions are checked by the app on each request.
    return AuthResponse(routes=["*"], principal_id=claims["sub"], context={"email": claims.get("email", "")})


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str
    name: str
    role: str
    client_id: str | None = None
    permissions: dict[str, bool] = field(default_factory=dict)

    @property
    def is_buyer(self) -> bool:
        return self.role == BUYER


def principal_for(user_id: str) -> Principal:
    """The caller's rights, read on every request: a disabled login (or a contact of a client whose portal is
    off) is refused at its next request, whatever tokens it still holds."""
    user = find_user(user_id)
    if user is None:
        raise Unauthenticated("This sign-in has no account here.", code="unknown_account")
    if not user.active:
        raise Unauthenticated("This account is disabled; ask whoever manages your company's portal access.",
                              code="account_disabled")
    permissions = user.permissions.as_dict() if user.permissions else {}
    return Principal(user.id, user.email, user.name, user.role, user.client_id, permissions)


def request_principal(request: Request) -> Principal:
    """The caller, from the authorizer's verified principal id."""
    principal_id = (request.context.get("authorizer") or {}).get("principalId")
    if not principal_id:
        raise Unauthenticated("A sign-in token is required.")
    return principal_for(principal_id)


def require_staff(request: Request, capability: Capability) -> Principal:
    principal = request_principal(request)
    if principal.is_buyer or not role_can(principal.role, capability):
        raise Forbidden("Your role does not allow this.", code="forbidden")
    return principal


def require_buyer(principal: Principal, permission: str | None = None) -> Principal:
    """A portal contact with portal access and, when named, the given permission."""
    if not principal.is_buyer or not principal.client_id:
        raise Forbidden("This is the client portal; staff use the admin endpoints.", code="not_a_portal_contact")
    if not has_portal_access(principal.permissions):
        raise Forbidden("This contact has no portal access.", code="no_portal_access")
    if permission and not principal.permissions.get(permission, False):
        raise Forbidden(f"This contact lacks the '{permission}' permission.", code="missing_permission")
    return principal


def require_portal(request: Request, permission: str | None = None) -> Principal:
    return require_buyer(request_principal(request), permission)


def require_client_in_scope(principal: Principal, client_agent_id: str | None, what: str, code: str) -> None:
    """Sales rep scoping: an agent reaching another agent's client's document gets 404, as if it did not exist."""
    if not may_see_client(principal.role, principal.user_id, client_agent_id):
        raise NotFound(f"No {what}.", code=code)
