"""ANAF e-Factura (RO e-Factura / SPV): upload an e-invoice, poll its processing state, download ANAF's answer.

The real client follows ANAF's public e-Factura REST API ("prezentare api efactura", the Swagger pages on
mfinante.gov.ro: upload, stareMesaj, descarcare):

  OAuth2      POST https://logincert.anaf.ro/anaf-oauth2/v1/token   grant_type=refresh_token (client id/secret
              of the application registered on anaf.ro; the first token needs the company's qualified
              certificate in a browser, after that the refresh token is used)
  upload      POST {base}/upload?standard=UBL|CN&cif=<CUI without RO>    body: the XML
              -> <header xmlns="mfp:anaf:dgti:spv:respUploadFisier:v1" ExecutionStatus="0" index_incarcare="..."/>
                 or ExecutionStatus="1" with <Errors errorMessage="..."/>
  stareMesaj  GET  {base}/stareMesaj?id_incarcare=<index>
              -> <header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1" stare="ok|nok|in prelucrare|
                 XML cu erori nepreluat de sistem" id_descarcare="..."/>  (or <Errors errorMessage=.../>)
  descarcare  GET  {base}/descarcare?id=<id_descarcare>   -> a zip: the XML signed by the Ministry of Finance
              (accepted) or the validation errors (refused)
  base        https://api.anaf.ro/prod/FCTEL/rest (test: https://api.anaf.ro/test/FCTEL/rest)

Failures come in two kinds so the state machine can Retry one and stop on the other:
`EInvoiceUnavailable` (timeouts, 5xx, 429: try again later) and `EInvoiceRefused` (ANAF refused the request).

`SandboxAnaf` is the local stack's ANAF: it checks well-formedness and the CIUS-RO fields ANAF rejects most
often (the full Schematron takes seconds per document; tests run the official validators instead), answers
"in prelucrare" on the first poll so the Wait loop runs, and rejects with ANAF-style messages.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import time
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlencode

import urllib3

PROD_BASE = "https://api.anaf.ro/prod/FCTEL/rest"
TEST_BASE = "https://api.anaf.ro/test/FCTEL/rest"
TOKEN_URL = "https://logincert.anaf.ro/anaf-oauth2/v1/token"
CIUS_RO = "urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1"
RO_COUNTIES = {"RO-AB", "RO-AG", "RO-AR", "RO-B", "RO-BC", "RO-BH", "RO-BN", "RO-BR", "RO-BT", "RO-BV", "RO-BZ", "RO-CJ",
               "RO-CL", "RO-CS", "RO-CT", "RO-CV", "RO-DB", "RO-DJ", "RO-GJ", "RO-GL", "RO-GR", "RO-HD", "RO-HR", "RO-IF",
               "RO-IL", "RO-IS", "RO-MH", "RO-MM", "RO-MS", "RO-NT", "RO-OT", "RO-PH", "RO-SB", "RO-SJ", "RO-SM", "RO-SV",
               "RO-TL", "RO-TM", "RO-TR", "RO-VL", "RO-VN", "RO-VS"}
SECTORS = {f"SECTOR{n}" for n in range(1, 7)}

OK, NOK, PROCESSING, INVALID = "ok", "nok", "in prelucrare", "XML cu erori nepreluat de sistem"


class EInvoiceRefused(RuntimeError):
    """ANAF refused the request itself (bad token, wrong CIF, malformed call): a person must look."""


class EInvoiceUnavailable(EInvoiceRefused):
    """ANAF did not answer usefully right now (timeout, 5xx, 429, maintenance): the step is retried."""


class EInvoiceStillProcessing(RuntimeError):
    """ANAF kept answering "in prelucrare" for longer than the workflow waits."""


@dataclass(frozen=True)
class Upload:
    upload_id: str | None  # index_incarcare; None when refused at upload
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class State:
    state: str  # ok, nok, in prelucrare, XML cu erori nepreluat de sistem
    download_id: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def processing(self) -> bool:
        return self.state == PROCESSING


class EInvoiceGateway(Protocol):
    def upload(self, xml: bytes, *, cif: str, standard: str = "UBL") -> Upload: ...
    def state(self, upload_id: str) -> State: ...
    def download(self, download_id: str) -> bytes: ...


def cif_of(vat_number: str) -> str:
    """ANAF's `cif` parameter: the CUI digits without the RO prefix."""
    return re.sub(r"\D", "", vat_number or "")


def _attrs(element: ET.Element) -> dict[str, str]:
    return {k.split("}")[-1]: v for k, v in element.attrib.items()}


def _errors(root: ET.Element) -> list[str]:
    return [_attrs(e).get("errorMessage", "") for e in root.iter() if e.tag.split("}")[-1] in ("Errors", "Error")]


def parse_upload(body: bytes) -> Upload:
    root = ET.fromstring(body)
    attrs = _attrs(root)
    if attrs.get("ExecutionStatus") == "0" and attrs.get("index_incarcare"):
        return Upload(attrs["index_incarcare"])
    return Upload(None, _errors(root) or ["ANAF refused the upload without a message."])


def parse_state(body: bytes) -> State:
    root = ET.fromstring(body)
    attrs = _attrs(root)
    errors = _errors(root)
    if "stare" not in attrs:
        raise EInvoiceRefused("; ".join(errors) or "ANAF answered stareMesaj without a state.")
    return State(attrs["stare"], attrs.get("id_descarcare"), errors)


def messages_in(archive: bytes) -> list[str]:
    """The error messages in a descarcare zip (empty for an accepted invoice's signed XML)."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            found = []
            for name in zipped.namelist():
                if name.lower().endswith(".xml") and not name.lower().startswith("semnatura"):
                    try:
                        found += _errors(ET.fromstring(zipped.read(name)))
                    except ET.ParseError:
                        continue
            return found
    except zipfile.BadZipFile:
        return []


class AnafClient:
    """ANAF's REST API over HTTPS with an OAuth2 access token refreshed from the stored refresh token."""

    def __init__(self, *, client_id: str, client_secret: str, refresh_token: str, base_url: str = PROD_BASE,
                 token_url: str = TOKEN_URL, timeout_seconds: float = 30.0) -> None:
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.base_url, self.token_url = base_url.rstrip("/"), token_url
        self._http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=10, read=timeout_seconds))
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None

    def _access_token(self) -> str:
        with self._lock:
            if self._token and self._token[1] > time.time() + 60:
                return self._token[0]
            body = urlencode({"grant_type": "refresh_token", "refresh_token": self.refresh_token,
                              "client_id": self.client_id, "client_secret": self.client_secret})
            response = self._call("POST", self.token_url, body=body.encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
            import json  # noqa: PLC0415

            token = json.loads(response)
            if "access_token" not in token:
                raise EInvoiceRefused(f"ANAF OAuth2 refused the refresh token: {token.get('error', 'no access_token')}")
            self._token = (token["access_token"], time.time() + float(token.get("expires_in", 3600)))
            return self._token[0]

    def _call(self, method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
        try:
            response = self._http.request(method, url, body=body, headers=headers or {}, retries=False)
        except urllib3.exceptions.HTTPError as exc:
            raise EInvoiceUnavailable(f"ANAF did not answer: {exc}") from exc
        if response.status in (429,) or response.status >= 500:
            raise EInvoiceUnavailable(f"ANAF answered {response.status}.")
        if response.status >= 400:
            raise EInvoiceRefused(f"ANAF answered {response.status}: {response.data[:300]!r}")
        return response.data

    def _api(self, method: str, path: str, **kwargs: object) -> bytes:
        headers = {"Authorization": f"Bearer {self._access_token()}", **(kwargs.pop("headers", None) or {})}  # type: ignore[arg-type]
        return self._call(method, f"{self.base_url}/{path}", headers=headers, **kwargs)  # type: ignore[arg-type]

    def upload(self, xml: bytes, *, cif: str, standard: str = "UBL") -> Upload:
        # Not safe to repeat blindly: a timeout after ANAF took the file may leave an upload we do not know of.
        # The step keeps the index once known; a lost answer means ANAF may hold a duplicate (finance sees it in SPV).
        return parse_upload(self._api("POST", f"upload?{urlencode({'standard': standard, 'cif': cif_of(cif)})}",
                                      body=xml, headers={"Content-Type": "text/plain"}))

    def state(self, upload_id: str) -> State:
        return parse_state(self._api("GET", f"stareMesaj?{urlencode({'id_incarcare': upload_id})}"))

    def download(self, download_id: str) -> bytes:
        return self._api("GET", f"descarcare?{urlencode({'id': download_id})}")


# --- the local stack's ANAF --------------------------------------------------------------------------

UBL_NS = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
          "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}


def sandbox_findings(xml: bytes, cif: str) -> list[str]:
    """The checks the sandbox makes, worded as ANAF words its answers ("E: schematron eroare: [BR-RO-...]")."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return [f"E: validari xml eroare: Fisierul transmis nu este valid. {exc}"]
    kind = root.tag.split("}")[-1]
    if kind not in ("Invoice", "CreditNote"):
        return [f"E: validari xml eroare: Elementul radacina {kind} nu este Invoice sau CreditNote."]
    found = []
    if root.findtext("cbc:CustomizationID", namespaces=UBL_NS) != CIUS_RO:
        found.append("E: schematron eroare: [BR-RO-001]-Identificatorul specificatiei (BT-24) trebuie sa fie "
                     f"{CIUS_RO}.")
    for role, county_rule, sector_rule in (("AccountingSupplierParty", "BR-RO-110", "BR-RO-100"),
                                           ("AccountingCustomerParty", "BR-RO-111", "BR-RO-101")):
        address = root.find(f"cac:{role}/cac:Party/cac:PostalAddress", UBL_NS)
        if address is None:
            found.append(f"E: schematron eroare: [BR-08/BR-10]-Adresa lipseste ({role}).")
            continue
        if address.findtext("cac:Country/cbc:IdentificationCode", namespaces=UBL_NS) != "RO":
            continue
        county = address.findtext("cbc:CountrySubentity", namespaces=UBL_NS)
        if county not in RO_COUNTIES:
            found.append(f"E: schematron eroare: [{county_rule}]-Subdiviziunea tarii trebuie codificata ISO 3166-2:RO "
                         f"(ex. RO-B), nu {county!r}.")
        elif county == "RO-B" and address.findtext("cbc:CityName", namespaces=UBL_NS) not in SECTORS:
            found.append(f"E: schematron eroare: [{sector_rule}]-Daca subdiviziunea este RO-B, localitatea trebuie sa fie "
                         "SECTOR1 - SECTOR6.")
    currency = root.findtext("cbc:DocumentCurrencyCode", namespaces=UBL_NS)
    if currency and currency != "RON":
        ron = [t for t in root.findall("cac:TaxTotal/cbc:TaxAmount", UBL_NS) if t.get("currencyID") == "RON"]
        if root.findtext("cbc:TaxCurrencyCode", namespaces=UBL_NS) != "RON" or not ron:
            found.append("E: schematron eroare: [BR-RO-030]-Daca moneda facturii nu este RON, TaxCurrencyCode trebuie sa fie "
                         "RON si valoarea TVA in RON trebuie sa fie prezenta.")
    seller = root.findtext("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID", namespaces=UBL_NS) \
        or root.findtext("cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", namespaces=UBL_NS) or ""
    if cif_of(seller) != cif_of(cif):
        found.append(f"E: CIF introdus= {cif_of(cif)} nu corespunde cu CIF vanzator din XML= {cif_of(seller)}")
    return found


def _zip(name: str, body: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr(name, body)
    return buffer.getvalue()


class SandboxAnaf:
    """A local ANAF: the first poll answers "in prelucrare", the next the verdict; refusals carry ANAF's wording."""

    _uploads: dict[str, list[str]] = {}
    _polled: set[str] = set()
    _lock = threading.Lock()

    def upload(self, xml: bytes, *, cif: str, standard: str = "UBL") -> Upload:
        if standard not in ("UBL", "CN", "CII", "RASP"):
            raise EInvoiceRefused(f"standard={standard} nu este acceptat.")
        upload_id = str(int(hashlib.sha256(xml).hexdigest()[:10], 16) % 10**10)
        findings = sandbox_findings(xml, cif)
        if findings and findings[0].startswith("E: validari xml"):
            return Upload(None, findings)
        with self._lock:
            self._uploads[upload_id] = findings
        return Upload(upload_id)

    def state(self, upload_id: str) -> State:
        with self._lock:
            if upload_id not in self._uploads:
                return State(NOK, None, [f"Nu exista factura cu id_incarcare= {upload_id}"])
            if upload_id not in self._polled:
                self._polled.add(upload_id)
                return State(PROCESSING)
            findings = self._uploads[upload_id]
        return State(NOK if findings else OK, f"9{upload_id}")

    def download(self, download_id: str) -> bytes:
        upload_id = download_id[1:]
        with self._lock:
            findings = self._uploads.get(upload_id, [])
        if findings:
            errors = "".join(f'<Error errorMessage="{_xml_escape(f)}"/>' for f in findings)
            body = (f'<header xmlns="mfp:anaf:dgti:efactura:raspunsValidare:v1" Index_incarcare="{upload_id}">'
                    f"{errors}</header>").encode()
            return _zip(f"{upload_id}.xml", body)
        return _zip(f"{upload_id}.xml", b"<!-- signed by the sandbox -->")


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=1)
def gateway_from_env() -> EInvoiceGateway:
    """`EINVOICE` = anaf (deployed stages of a Romanian supplier) or sandbox (local only)."""
    from chalicelib.config import ConfigurationError, einvoice_kind, secret, settings  # noqa: PLC0415

    kind = einvoice_kind()
    if kind == "sandbox":
        if not settings().is_local:
            raise ConfigurationError("EINVOICE=sandbox: the sandbox ANAF exists only in the local stack.")
        return SandboxAnaf()
    if kind == "anaf":
        return AnafClient(client_id=secret("ANAF_CLIENT_ID"), client_secret=secret("ANAF_CLIENT_SECRET"),
                          refresh_token=secret("ANAF_REFRESH_TOKEN"), base_url=os.environ.get("ANAF_BASE_URL", PROD_BASE))
    raise ConfigurationError(f"EINVOICE must be 'anaf' (or 'sandbox' on the local stack) to submit, not {kind!r}")
