"""Pages, redirects, cookies and emailed links under a base path: the default API Gateway URL serves the
app under its stage (`/api/`), a custom domain under its base path mapping (often none)."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
import requests

from chalicelib import urls
from infra.local.gateway import normalize_base_path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXECUTE_API = "abc123defg.execute-api.eu-central-1.amazonaws.com"


# --- where the base path comes from ---------------------------------------------------------------

@pytest.mark.parametrize(("context", "expected"), [
    # The default endpoint: requestContext.path carries the stage, resourcePath is the matched route.
    ({"path": "/api/orders/so_1", "resourcePath": "/orders/{order_id}", "stage": "api", "domainName": EXECUTE_API}, "/api"),
    ({"path": "/api/", "resourcePath": "/", "stage": "api", "domainName": EXECUTE_API}, "/api"),
    ({"path": "/api", "resourcePath": "/", "stage": "api", "domainName": EXECUTE_API}, "/api"),
    ({"path": "/api/agent/orders/", "resourcePath": "/agent/orders", "stage": "api"}, "/api"),
    # A parameter with an encoded slash is one segment: the prefix does not move.
    ({"path": "/api/review-links/a%2Fb.c", "resourcePath": "/review-links/{token}", "stage": "api"}, "/api"),
    # A custom domain with an empty base path mapping: no prefix, whatever the stage is called.
    ({"path": "/orders/so_1", "resourcePath": "/orders/{order_id}", "stage": "api", "domainName": "portal.example.com"}, ""),
    ({"path": "/", "resourcePath": "/", "stage": "prod", "domainName": "portal.example.com"}, ""),
    # A custom domain mapped under a base path.
    ({"path": "/b2b/v1/login", "resourcePath": "/login", "stage": "prod", "domainName": "example.com"}, "/b2b/v1"),
    # No path in the context (a test client, a hand-made event): no prefix.
    ({"resourcePath": "/login"}, ""),
    ({}, ""),
])
def test_base_path_is_what_api_gateway_put_before_the_route(context, expected):
    assert urls.base_path(context) == expected


def test_app_paths_join_under_a_prefix_or_an_absolute_url():
    assert urls.join("/api", "/orders/1?x=2") == "/api/orders/1?x=2"
    assert urls.join("", "/login") == "/login"
    assert urls.join("https://portal.example.com/b2b/", "/login") == "https://portal.example.com/b2b/login"
    for not_an_app_path in ("orders/1", "//evil.example.com/x", "https://evil.example.com/"):
        with pytest.raises(ValueError):
            urls.join("/api", not_an_app_path)
    assert urls.is_app_path("/catalogue") and not urls.is_app_path("https://s3.example/x") and not urls.is_app_path("//x")


@pytest.mark.parametrize(("raw", "expected"), [("/api", "/api"), ("api", "/api"), ("/api/", "/api"), ("", ""),
                                               (None, ""), ("/", ""), ("/b2b/v1/", "/b2b/v1")])
def test_base_path_setting_is_normalised(raw, expected):
    assert normalize_base_path(raw) == expected


# --- emailed links: PORTAL_URL, which carries the base path ------------------------------------------

@pytest.fixture
def portal_under_stage(local_stack, app_settings):
    app_settings(PORTAL_URL=f"https://{EXECUTE_API}/api/")  # as typed, with its trailing slash
    return f"https://{EXECUTE_API}/api"


def test_review_links_in_email_keep_the_portal_urls_path(portal_under_stage):
    from chalicelib.services.review import read_review_link, review_link  # noqa: PLC0415

    link = review_link(SimpleNamespace(id="so_1"), "approve", "agent-1")
    assert link.startswith(f"{portal_under_stage}/review-links/")
    assert read_review_link(link.rsplit("/", 1)[1])["order_id"] == "so_1"
    assert urls.portal_link("/orders/so_1") == f"{portal_under_stage}/orders/so_1"


def test_emails_link_under_the_portal_urls_path(stack, portal_under_stage):
    from chalicelib.services import mail  # noqa: PLC0415
    from infra.local.outbox import sent_mail  # noqa: PLC0415

    mail.send("invitation", "new.buyer@example.com", name="Ana", inviter="Tests", portal_name="B2B portal",
              client_name="Acme SRL", email="new.buyer@example.com", temporary_password="Temp-Pass-1234")
    body = next(m for m in sent_mail() if "new.buyer@example.com" in m["to"])["body"]
    assert f'href="{portal_under_stage}/login"' in body
    assert not re.search(r'href="/', body)


# --- no root-relative link left in templates or code ---------------------------------------------

# An href/action/src/formaction whose value is a literal path ("/login", "/orders/{{ id }}") misses the
# prefix; pages write {{ url("/login") }}. These variables hold absolute URLs built elsewhere.
ABSOLUTE_VARIABLES = {"tracking_url", "dn.tracking_url", "approve_url", "reject_url", "product.datasheet_url"}
ATTRIBUTE = re.compile(r'\b(?:href|action|src|formaction)\s*=\s*"([^"]*)"')
TEMPLATE_OK = re.compile(r"^(\{\{ url\(.*\) \}\}|#.*|mailto:.*|https?://.*)$")
PORTAL_URL_IN_TEMPLATE = re.compile(r"\{\{\s*portal_url\b")
# In Python: HTML with a literal path, a Location header with a literal path (redirect() puts app paths
# under the prefix; a hand-made Location does not), PORTAL_URL glued to a path by hand (portal_link does it).
PYTHON_BAD = [
    re.compile(r"""\b(?:href|action|src)\s*=\s*\\?["']?/(?!/)"""),
    re.compile(r"""["']Location["']\s*:\s*f?["']/"""),
    re.compile(r"""portal_url\s*\}\s*/|portal_url\s*\+"""),
]
PYTHON_SOURCES = ["app.py", "chalicelib", "infra/local"]


def template_problems(path: Path, text: str) -> list[str]:
    problems = []
    for value in ATTRIBUTE.findall(text):
        variable = re.fullmatch(r"\{\{\s*([\w.]+)\s*\}\}", value)
        if not TEMPLATE_OK.match(value) and not (variable and variable.group(1) in ABSOLUTE_VARIABLES):
            problems.append(f"{path}: {value}")
    problems += [f"{path}: {m.group(0)}" for m in PORTAL_URL_IN_TEMPLATE.finditer(text)]
    return problems


def python_problems(path: Path, text: str) -> list[str]:
    return [f"{path}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
            for pattern in PYTHON_BAD for m in pattern.finditer(text)]


def test_the_scanners_catch_root_relative_links():
    for bad in ('<a href="/orders/{{ o.id }}">', '<form action="/login">', '<a href="{{ next_url }}">',
                '<a href="{{ portal_url }}/login">', "Sign in at {{ portal_url }}/login"):
        assert template_problems(Path("t.html"), bad), bad
    for good in ("<a href=\"{{ url('/orders/' ~ o.id) }}\">", '<a href="{{ approve_url }}">', '<a href="#x">',
                 '<a href="https://example.com/">'):
        assert not template_problems(Path("t.html"), good), good
    for bad in ("f\"<form method=post action='/local/pay/{sid}'>\"", 'headers={"Location": "/login"}',
                'f"{settings().portal_url}/review-links/{token}"', 'settings().portal_url + "/x"'):
        assert python_problems(Path("x.py"), bad), bad
    for good in ('redirect("/catalogue")', "action='{url('/local/pay/' + sid)}'", 'portal_link(f"/review-links/{t}")'):
        assert not python_problems(Path("x.py"), good), good


def test_no_template_links_to_a_root_relative_path():
    problems = [p for path in sorted((REPO_ROOT / "templates").rglob("*")) if path.is_file()
                for p in template_problems(path.relative_to(REPO_ROOT), path.read_text())]
    assert not problems, "\n".join(problems)


def test_no_python_builds_a_root_relative_link_or_location():
    files = [REPO_ROOT / "app.py", *[f for d in PYTHON_SOURCES[1:] for f in sorted((REPO_ROOT / d).rglob("*.py"))]]
    problems = [p for f in files for p in python_problems(f.relative_to(REPO_ROOT), f.read_text())]
    assert not problems, "\n".join(problems)


# --- the local stack under a prefix, as API Gateway's stage --------------------------------------

def test_the_prefixed_server_serves_the_app_only_under_its_prefix(api_server):
    root = api_server.removesuffix("/api")
    login = requests.get(f"{api_server}/login", timeout=10)
    assert login.status_code == 200 and 'action="/api/login"' in login.text
    cookie = login.headers["Set-Cookie"]
    assert "Path=/api;" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    outside = requests.get(f"{root}/login", timeout=10, allow_redirects=False)
    assert outside.status_code == 403  # as API Gateway answers a path outside its stage
    bare = requests.get(f"{root}/", timeout=10, allow_redirects=False)
    assert (bare.status_code, bare.headers["Location"]) == (302, "/api/")
    home = requests.get(f"{api_server}", timeout=10, allow_redirects=False)
    assert (home.status_code, home.headers["Location"]) == (303, "/api/dashboard")
    signed_out = requests.get(f"{api_server}/dashboard", timeout=10, allow_redirects=False)
    assert (signed_out.status_code, signed_out.headers["Location"]) == (303, "/api/login")


def _set_cookies(response) -> dict[str, str]:
    """name -> the Set-Cookie line (requests' jar drops Secure cookies over http; a browser on 127.0.0.1 keeps them)."""
    return {line.split("=", 1)[0]: line for line in response.raw.headers.getlist("Set-Cookie")}


def test_sign_in_redirects_and_cookies_stay_under_the_prefix(api_server, world):
    from tests.support.world import PASSWORD  # noqa: PLC0415

    client = world.client("Acme SRL")
    contact_id, _ = world.buyer(client)
    from chalicelib.store.users import find_user  # noqa: PLC0415

    email = find_user(contact_id).email
    page = requests.get(f"{api_server}/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    signed_in = requests.post(f"{api_server}/login", data={"csrf": csrf, "email": email, "password": PASSWORD},
                              headers={"Cookie": f"b2b_csrf={csrf}"}, timeout=10, allow_redirects=False)
    assert (signed_in.status_code, signed_in.headers["Location"]) == (303, "/api/dashboard")
    cookies = _set_cookies(signed_in)
    assert {"b2b_session", "b2b_refresh", "b2b_cart"} <= set(cookies)
    assert all("; Path=/api;" in line for line in cookies.values()), cookies
    session = cookies["b2b_session"].split(";", 1)[0]
    catalogue = requests.get(f"{api_server}/catalogue", headers={"Cookie": f"{session}; b2b_csrf={csrf}"}, timeout=10)
    assert catalogue.status_code == 200 and 'id="catalogue"' in catalogue.text
    links = [link for link in re.findall(r'(?:href|action)="([^"]*)"', catalogue.text) if not link.startswith("#")]  # skip link
    assert len(links) > 3 and all(urlparse(link).path.startswith("/api/") for link in links), links


def test_the_app_without_a_prefix_links_from_the_root(http_server):
    login = requests.get(f"{http_server}/login", timeout=10)
    assert 'action="/login"' in login.text and "Path=/;" in login.headers["Set-Cookie"]
