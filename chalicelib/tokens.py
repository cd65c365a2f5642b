"""Cognito ID-token verification: signature against the pool's JWKS, expiry, issuer, audience, token use.

Used by the API Gateway authorizer and by the web pages' session cookie alike.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import jwt

from chalicelib.config import settings
from chalicelib.domain.errors import Unauthenticated

ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 30


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # Keys are cached for the life of a warm Lambda; an unknown `kid` refetches once.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


def verify_id_token(token: str) -> dict[str, Any]:
    """The token's claims, or Unauthenticated when it is not a live ID token of our pool and app client."""
    config = settings()
    if not token or not config.user_pool_id:
        raise Unauthenticated("A sign-in token is required.")
    try:
        signing_key = _jwks_client(config.jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            audience=config.user_pool_client_id,
            issuer=config.token_issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "aud", "iss", "token_use"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("The sign-in token has expired; sign in again.", code="token_expired") from exc
    except (jwt.PyJWTError, jwt.PyJWKClientError, ValueError) as exc:
        raise Unauthenticated("The sign-in token is not valid.", code="invalid_token") from exc
    if claims.get("token_use") != "id":
        raise Unauthenticated("The sign-in token is not an ID token.", code="invalid_token")
    return claims
