"""The official validators for what we send to clients and ANAF: UBL 2.1 XSD, EN 16931 and CIUS-RO (compiled Schematron).

The XSLTs take seconds to compile, so each is compiled once per test process (`validators()`), then every
document is checked in milliseconds. A `failed-assert` or `successful-report` flagged `fatal` is an error.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STANDARDS = Path(os.environ.get("STANDARDS_DIR", Path(__file__).resolve().parents[3] / "shared" / "standards"))
SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True)
class Finding:
    validator: str
    rule: str
    flag: str
    text: str

    def __str__(self) -> str:
        return f"{self.validator} {self.rule} [{self.flag}] {self.text}"


class Validators:
    def __init__(self) -> None:
        from lxml import etree
        from saxonche import PySaxonProcessor

        self._etree = etree
        ubl = STANDARDS / "ubl-2.1" / "xsd" / "maindoc"
        self.schemas = {
            "Invoice": etree.XMLSchema(etree.parse(str(ubl / "UBL-Invoice-2.1.xsd"))),
            "CreditNote": etree.XMLSchema(etree.parse(str(ubl / "UBL-CreditNote-2.1.xsd"))),
        }
        self._processor = PySaxonProcessor(license=False)
        compiler = self._processor.new_xslt30_processor()
        self.stylesheets = {
            "EN16931": compiler.compile_stylesheet(
                stylesheet_file=str(STANDARDS / "en16931-ubl-1.3.16" / "EN16931-UBL-validation.xslt")),
            "CIUS-RO": compiler.compile_stylesheet(
                stylesheet_file=str(STANDARDS / "cius-ro-1.0.9" / "EN16931-CIUS_RO-UBL-validation.xslt")),
        }

    def findings(self, xml: bytes, *, cius_ro: bool = True) -> list[Finding]:
        """Every fatal finding of the XSD and the Schematron rules; empty when the document passes."""
        etree = self._etree
        root = etree.fromstring(xml)
        kind = etree.QName(root).localname
        schema = self.schemas[kind]
        found = []
        if not schema.validate(root):
            found += [Finding("XSD", "XSD", "fatal", f"line {e.line}: {e.message}") for e in schema.error_log]
        names = ["EN16931"] + (["CIUS-RO"] if cius_ro else [])
        for name in names:
            node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
            svrl = self.stylesheets[name].transform_to_string(xdm_node=node)
            report = etree.fromstring(svrl.encode("utf-8"))
            for element in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
                flag = element.get("flag") or "fatal"
                if flag != "fatal":
                    continue
                text = " ".join("".join(element.itertext()).split())
                found.append(Finding(name, element.get("id") or "?", flag, text))
        return found

    def warnings(self, xml: bytes) -> list[Finding]:
        etree = self._etree
        node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        report = etree.fromstring(self.stylesheets["EN16931"].transform_to_string(xdm_node=node).encode("utf-8"))
        return [Finding("EN16931", e.get("id") or "?", e.get("flag") or "", " ".join("".join(e.itertext()).split()))
                for e in report.iter(f"{{{SVRL}}}failed-assert") if e.get("flag") != "fatal"]


@lru_cache(maxsize=1)
def validators() -> Validators:
    return Validators()
