"""Installable automation templates: the 18 use cases of the automation seed and the ordering workflow's
examples, in this platform's words. Installing one creates a rule, disabled until an admin enables it.

Outside systems (HubSpot, Google Sheets) are webhook actions: the receiver gets
`{"event": <type>, "event_id": ..., "rule_id": ..., "data": {"event": {...}, "client": {...}, "order"|"invoice"|
"proposal": {...}}}` with `X-Signature: sha256=<HMAC of the body>` when a secret is set. The HubSpot templates
expect a small relay (a HubSpot custom-coded workflow or a serverless function) that maps `data` onto the CRM's
objects; the Google Sheets templates expect an Apps Script web app that upserts a row keyed by `data.<thing>.id`.
Replace the example URLs before enabling.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    group: str  # Quote & invoice management, Company management, Order management, Ordering workflow
    source: str  # which use case of the seed it adapts
    description: str
    rule: dict[str, Any]
    sample: dict[str, Any]  # a sample event detail it fires on (tests, the gallery's "try it")


HUBSPOT = "https://hooks.example.com/hubspot"
SHEETS = "https://script.google.com/macros/s/REPLACE-ME/exec"
SLACK = "https://hooks.slack.com/services/REPLACE/ME"
TEAMS = "https://example.webhook.office.com/webhookb2/REPLACE-ME"

Q, C, O, W = "Quote & invoice management", "Company management", "Order management", "Ordering workflow"


def _t(key: str, title: str, group: str, source: str, description: str, rule: dict[str, Any], sample: dict[str, Any]) -> Template:
    return Template(key, title, group, source, description, {"name": title, "enabled": False, "conditions": {}, **rule}, sample)


_ORDER = {"order_id": "{order_id}", "client_id": "{client_id}"}
_PROPOSAL = {"proposal_id": "{proposal_id}", "client_id": "{client_id}"}
_INVOICE = {"invoice_id": "{invoice_id}", "client_id": "{client_id}"}
_CLIENT = {"client_id": "{client_id}"}

TEMPLATE_LIST: tuple[Template, ...] = (
    _t("crm_deal_from_proposal", "Create or update the CRM deal when a proposal is sent", Q, "Use case #1",
       "Sends the proposal, its lines and the client to HubSpot (through your relay) so the deal follows the quote.",
       {"trigger": {"event": "proposal.sent"}, "actions": [{"type": "webhook", "url": HUBSPOT, "format": "json"}]}, _PROPOSAL),
    _t("proposal_small_quantity", "Encourage a bigger order on small proposals", Q, "Use case #2",
       "When a proposal stays under the volume that earns a better price, the agent is told and the buyer invited to add more.",
       {"trigger": {"event": "proposal.sent"}, "conditions": {"all": [{"field": "proposal.total", "op": "lt", "value": 1000}]},
        "actions": [{"type": "email", "to": "agent", "template": "generic",
                     "subject": "Small proposal {{ proposal.number }} for {{ client.name }}",
                     "body": "Proposal {{ proposal.number }} totals {{ proposal.total }} {{ proposal.currency }}: below the volume "
                             "for the next discount. A call may turn it into a bigger order.\n"},
                    {"type": "email", "to": "client_contact", "template": "generic",
                     "subject": "A better price is close on proposal {{ proposal.number }}",
                     "body": "Hello,\n\nOrders above 1,000 {{ proposal.currency }} get our volume prices. Reply to this email "
                             "and your agent will update proposal {{ proposal.number }}.\n"}]}, _PROPOSAL),
    _t("proposal_expiring", "Remind buyer and agent 3 days before a proposal expires", Q, "Use case #3",
       "Three days before `valid until`, while the proposal is still open, the buyer and the agent get a reminder.",
       {"trigger": {"event": "proposal.sent", "relative": {"field": "proposal.valid_until", "days": 3, "when": "before"}},
        "conditions": {"any": [{"field": "proposal.status", "op": "in", "value": ["sent", "open"]}]},
        "actions": [{"type": "email", "to": "client_contact", "template": "proposal_expiring"},
                    {"type": "email", "to": "agent", "template": "proposal_expiring"}]}, _PROPOSAL),
    _t("proposal_to_sheets", "Copy proposals to Google Sheets", Q, "Use case #4",
       "Every proposal sent upserts a row (number, status, total, valid until, client) in your sheet.",
       {"trigger": {"event": "proposal.sent"}, "actions": [{"type": "webhook", "url": SHEETS, "format": "json"}]}, _PROPOSAL),
    _t("proposal_below_base_price", "Alert the owner when a proposal discounts too much", Q, "Use case #5",
       "A proposal with a line more than 25 % under its list price alerts the admins and is withdrawn to draft until revised.",
       {"trigger": {"event": "proposal.sent"},
        "conditions": {"all": [{"field": "event.max_discount_percent", "op": "gt", "value": 25}]},
        "actions": [{"type": "email", "to": "role:admin", "template": "generic",
                     "subject": "Proposal {{ proposal.number }} is {{ event.max_discount_percent }} % under list price",
                     "body": "Proposal {{ proposal.number }} for {{ client.name }} discounts a line by "
                             "{{ event.max_discount_percent }} %. It was withdrawn to draft until it is revised.\n"},
                    {"type": "update_field", "entity": "proposal", "field": "disabled", "value": True}]},
       {**_PROPOSAL, "max_discount_percent": 40}),
    _t("invoice_due_soon", "Remind the buyer 3 days before an invoice is due", Q, "Use case #6",
       "Net-terms buyers get a reminder three days before the due date while something is still due.",
       {"trigger": {"event": "invoice.issued", "relative": {"field": "invoice.due_date", "days": 3, "when": "before"}},
        "conditions": {"all": [{"field": "invoice.amount_due", "op": "gt", "value": 0}]},
        "actions": [{"type": "email", "to": "client_contact", "template": "invoice_due_soon"}]}, _INVOICE),
    _t("invoice_for_bank_transfer", "Send the invoice with payment instructions and tell finance", Q, "Use case #7",
       "The platform issues the invoice (invoicing workflow); this sends the buyer the bank details and gives finance a task to watch the transfer.",
       {"trigger": {"event": "invoice.issued"},
        "actions": [{"type": "email", "to": "client_contact", "template": "invoice_issued",
                     "body": "Hello,\n\nInvoice {{ invoice.number }} for {{ invoice.total }} {{ invoice.currency }} is due on "
                             "{{ invoice.due_date }}. Pay by bank transfer quoting {{ invoice.number }}, or online: "
                             "{{ links.invoice_portal }}\n"},
                    {"type": "task", "assignee_role": "finance", "title": "Watch for the transfer of invoice {{ invoice.number }}",
                     "due_hours": 72}]}, _INVOICE),
    _t("store_credit_on_approval", "Give newly approved companies store credit", C, "Use case #8",
       "A company approved from its registration gets 100 of store credit, applied to its first invoice.",
       {"trigger": {"event": "client.approved"},
        "actions": [{"type": "update_field", "entity": "client", "field": "store_credit", "value": "100"},
                    {"type": "email", "to": "client_contact", "template": "generic",
                     "subject": "Welcome, {{ client.name }}: 100 {{ client.currency }} to start with",
                     "body": "Hello,\n\nYour account is approved. 100 {{ client.currency }} of store credit is waiting: it is taken off your first invoice.\n"}]},
       _CLIENT),
    _t("segment_key_accounts", "Segment big buyers as key accounts", C, "Use case #9",
       "An order of 10,000 or more marks the client as a key account (segment and tag).",
       {"trigger": {"event": "order.placed"}, "conditions": {"all": [{"field": "order.total", "op": "gte", "value": 10000}]},
        "actions": [{"type": "update_field", "entity": "client", "field": "segment", "value": "key account"},
                    {"type": "tag", "tag": "key account"}]}, _ORDER),
    _t("assign_agent_by_region", "Assign the sales agent by region", C, "Use case #10",
       "A new client gets the agent of its country (edit the map: country code -> agent id; * for the rest).",
       {"trigger": {"event": "client.created"},
        "actions": [{"type": "assign_agent", "strategy": "by_field", "field": "client.country",
                     "map": {"RO": "REPLACE-WITH-AGENT-ID", "*": "REPLACE-WITH-AGENT-ID"}}]}, _CLIENT),
    _t("onboard_contact", "Welcome new company users", C, "Use case #11",
       "A contact invited to the portal gets a welcome with how ordering, proposals and their agent work.",
       {"trigger": {"event": "contact.invited"},
        "actions": [{"type": "email", "to": "event_email", "template": "generic", "subject": "Welcome to our ordering portal",
                     "body": "Hello {{ event.name }},\n\nYou can now order at your negotiated prices, ask for proposals and "
                             "follow deliveries and invoices in the portal. Your agent: {{ client.sale_agent_email or 'our sales team' }}.\n"}]},
       {**_CLIENT, "email": "new.buyer@example.com", "name": "New Buyer"}),
    _t("registration_review", "Review company registrations", C, "Use case #12",
       "A company that registers in the portal gets an agent in turn, managers a task to approve it, and the applicant an acknowledgement.",
       {"trigger": {"event": "client.registered"},
        "actions": [{"type": "task", "assignee_role": "manager", "title": "Approve the registration of {{ event.name }}", "due_hours": 24},
                    {"type": "email", "to": "event_email", "template": "generic", "subject": "We received your registration",
                     "body": "Hello,\n\nThank you for registering {{ event.name }}. We review new accounts within one working day.\n"}]},
       {"client_id": "{client_id}", "name": "Registered Co", "email": "applicant@example.com"}),
    _t("sheets_import_ack", "Write new clients back to the lead sheet", C, "Use case #13",
       "Leads imported from Google Sheets (your Apps Script calls POST /admin/clients) get their client id written back to the row.",
       {"trigger": {"event": "client.created"}, "actions": [{"type": "webhook", "url": SHEETS, "format": "json"}]}, _CLIENT),
    _t("crm_contact_on_client", "Create the company in the CRM", C, "Use case #14",
       "Each new client is created as a company in HubSpot through your relay.",
       {"trigger": {"event": "client.created"}, "actions": [{"type": "webhook", "url": HUBSPOT, "format": "json"}]}, _CLIENT),
    _t("crm_owner_on_agent", "Set the CRM owner when the agent changes", C, "Use case #15",
       "When a client's agent is set, HubSpot's company owner follows (`data.client.sale_agent_email`).",
       {"trigger": {"event": "client.updated"}, "conditions": {"all": [{"field": "client.sale_agent_id", "op": "exists", "value": True}]},
        "actions": [{"type": "webhook", "url": HUBSPOT, "format": "json"}]}, _CLIENT),
    _t("crm_deal_on_order", "Update the CRM deal when an order is placed", O, "Use case #16",
       "Each portal order updates the client's deal in HubSpot (amount, number, status).",
       {"trigger": {"event": "order.placed"}, "actions": [{"type": "webhook", "url": HUBSPOT, "format": "json"}]}, _ORDER),
    _t("invoice_to_team_and_buyer", "Share each invoice with the team and the buyer", O, "Use case #17",
       "An issued invoice is emailed to the buyer and posted to the team's Slack channel.",
       {"trigger": {"event": "invoice.issued"},
        "actions": [{"type": "email", "to": "client_contact", "template": "invoice_issued"},
                    {"type": "webhook", "url": SLACK, "format": "slack",
                     "text": "Invoice {{ invoice.number }} issued to {{ client.name }}: {{ invoice.total }} {{ invoice.currency }}"}]},
       _INVOICE),
    _t("loyalty_credit", "Reward large orders with store credit", O, "Use case #18",
       "An accepted order of 5,000 or more gives the client 50 of store credit (edit the amount) and tells them.",
       {"trigger": {"event": "order.accepted"}, "conditions": {"all": [{"field": "order.total", "op": "gte", "value": 5000}]},
        "actions": [{"type": "update_field", "entity": "client", "field": "store_credit", "value": "50"},
                    {"type": "email", "to": "client_contact", "template": "generic", "subject": "Thank you for order {{ order.number }}",
                     "body": "Hello,\n\nAs a thank-you for order {{ order.number }}, 50 {{ order.currency }} of store credit "
                             "will be taken off your next invoice.\n"}]}, _ORDER),
    _t("notify_agent_new_order", "Tell the responsible agent about a new order", W, "Ordering workflow 4.1",
       "Email and a review task for the client's agent, and a Slack message, when an order is placed in the portal.",
       {"trigger": {"event": "order.placed"}, "conditions": {"all": [{"field": "client.sale_agent_id", "op": "exists", "value": True}]},
        "actions": [{"type": "email", "to": "agent", "template": "order_placed_agent"},
                    {"type": "task", "assignee_role": "agent_of_client", "title": "Review order {{ order.number }} from {{ client.name }}",
                     "due_hours": 24},
                    {"type": "webhook", "url": SLACK, "format": "slack",
                     "text": "New order {{ order.number }} from {{ client.name }}: {{ order.total }} {{ order.currency }}"}]}, _ORDER),
    _t("teams_big_orders", "Post large reseller orders to Microsoft Teams", W, "Ordering workflow 4.1",
       "Orders above 5,000 from the Resellers group appear in the sales team's Teams channel, with a task for managers.",
       {"trigger": {"event": "order.placed"},
        "conditions": {"all": [{"field": "order.total", "op": "gt", "value": 5000},
                               {"field": "client.group_name", "op": "eq", "value": "Resellers"}]},
        "actions": [{"type": "webhook", "url": TEAMS, "format": "teams",
                     "text": "Large order {{ order.number }} from {{ client.name }}: {{ order.total }} {{ order.currency }}"},
                    {"type": "task", "assignee_role": "manager", "title": "Large order {{ order.number }} from {{ client.name }}",
                     "due_hours": 24}]}, _ORDER),
    _t("declined_order_followup", "Follow up a declined order", W, "Ordering workflow 4.2",
       "When an order is declined, the agent gets a task to call the client within a day.",
       {"trigger": {"event": "order.declined"},
        "actions": [{"type": "task", "assignee_role": "agent_of_client",
                     "title": "Call {{ client.name }} about declined order {{ order.number }}", "due_hours": 24}]}, _ORDER),
)

TEMPLATES: dict[str, Template] = {t.key: t for t in TEMPLATE_LIST}


def template_json(t: Template) -> dict[str, Any]:
    return {"key": t.key, "title": t.title, "group": t.group, "source": t.source, "description": t.description,
            "rule": t.rule}
