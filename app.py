"""The B2B ordering platform's Chalice app: a table of contents of its blueprints."""
from chalice import Chalice

from chalicelib.api.admin import admin_api
from chalicelib.api.admin_clients import admin_clients_api
from chalicelib.api.admin_catalogue import admin_catalogue_api
from chalicelib.api.admin_credit_notes import credit_notes_api
from chalicelib.api.admin_automation import admin_automation_api
from chalicelib.api.admin_fulfilment import admin_fulfilment_api
from chalicelib.api.admin_operations import admin_operations_api
from chalicelib.api.admin_orders import admin_orders_api
from chalicelib.api.admin_staff_orders import staff_orders_api
from chalicelib.api.recurring import recurring_api
from chalicelib.api.auth import auth_api
from chalicelib.api.cart import cart_api
from chalicelib.api.comments import comments_api
from chalicelib.api.company import company_api
from chalicelib.api.profile import profile_api
from chalicelib.api.http import reshape_framework_errors
from chalicelib.api.payments import payments_api
from chalicelib.api.portal import portal_api
from chalicelib.api.reports import reports_api
from chalicelib.api.security import security
from chalicelib.web.kit import web
from chalicelib.web.portal.catalogue import web_catalogue
from chalicelib.web.signin import web_signin
from chalicelib.web.staff.review import web_agent
from chalicelib.web.staff.audit import web_audit
from chalicelib.web.staff.clients import web_clients
from chalicelib.web.staff.settings import web_settings
from chalicelib.web.staff.staff import web_staff
from chalicelib.web.documents import web_documents
from chalicelib.web.staff.operations import web_operations
from chalicelib.web.staff.price_lists import web_price_lists
from chalicelib.web.staff.pricing import web_pricing
from chalicelib.web.staff.products import web_products
from chalicelib.web.staff.credit_notes import web_credit_notes
from chalicelib.web.portal.credit_notes import web_portal_credit_notes
from chalicelib.web.staff.automation import web_automation
from chalicelib.web.portal.register import web_register
from chalicelib.web.portal.orders import web_orders
from chalicelib.web.portal.cart import web_cart
from chalicelib.web.portal.quick_order import UPLOAD_TYPES, web_quick_order
from chalicelib.web.portal.saved_lists import web_saved_lists
from chalicelib.web.portal.proposals import web_proposals
from chalicelib.web.portal.account import web_account
from chalicelib.web.portal.company import web_company
from chalicelib.web.comments import web_comments
from chalicelib.web.not_found import web_not_found
from chalicelib.web.page_scripts import web_page_scripts
from chalicelib.web.portal.offers import web_offers
from chalicelib.web.portal.recurring import web_recurring
from chalicelib.web.staff.new_order import web_new_order
from chalicelib.web.staff.intake import web_intake
from chalicelib.web.portal.dashboard import web_dashboard
from chalicelib.web.staff.reports import web_reports
from chalicelib.config import require_deployable
from chalicelib.steps.einvoice import einvoice_steps
from chalicelib.steps.automation import automation_steps
from chalicelib.steps.fulfilment import fulfilment_steps
from chalicelib.steps.intake import intake_steps
from chalicelib.steps.review import review_steps
from chalicelib.steps.lifecycle import lifecycle_steps
from chalicelib.steps.stream import table_stream

require_deployable()  # a deployed stage without its secrets, real adapters or legal data refuses to start

app = Chalice(app_name="b2b-portal")
app.register_middleware(reshape_framework_errors, "http")
app.api.binary_types.extend(UPLOAD_TYPES)  # order spreadsheets (quick order, intake) arrive as bytes
app.register_blueprint(security)
app.register_blueprint(auth_api)
app.register_blueprint(admin_api)
app.register_blueprint(admin_clients_api)
app.register_blueprint(admin_catalogue_api)
app.register_blueprint(admin_orders_api)
app.register_blueprint(staff_orders_api)
app.register_blueprint(recurring_api)
app.register_blueprint(admin_operations_api)
app.register_blueprint(admin_fulfilment_api)
app.register_blueprint(admin_automation_api)
app.register_blueprint(payments_api)
app.register_blueprint(portal_api)
app.register_blueprint(cart_api)
app.register_blueprint(profile_api)
app.register_blueprint(company_api)
app.register_blueprint(comments_api)
app.register_blueprint(credit_notes_api)
app.register_blueprint(reports_api)
app.register_blueprint(web)  # the web kit: the current request for every page
app.register_blueprint(web_signin)
app.register_blueprint(web_catalogue)
app.register_blueprint(web_orders)
app.register_blueprint(web_cart)
app.register_blueprint(web_quick_order)
app.register_blueprint(web_saved_lists)
app.register_blueprint(web_agent)
app.register_blueprint(web_clients)
app.register_blueprint(web_staff)
app.register_blueprint(web_settings)
app.register_blueprint(web_audit)
app.register_blueprint(web_operations)
app.register_blueprint(web_products)
app.register_blueprint(web_price_lists)
app.register_blueprint(web_pricing)
app.register_blueprint(web_credit_notes)
app.register_blueprint(web_portal_credit_notes)
app.register_blueprint(web_automation)
app.register_blueprint(web_register)
app.register_blueprint(web_documents)
app.register_blueprint(web_proposals)
app.register_blueprint(web_account)
app.register_blueprint(web_company)
app.register_blueprint(web_comments)
app.register_blueprint(web_offers)
app.register_blueprint(web_recurring)
app.register_blueprint(web_new_order)
app.register_blueprint(web_intake)
app.register_blueprint(web_reports)
app.register_blueprint(web_dashboard)
app.register_blueprint(web_page_scripts)
app.register_blueprint(web_not_found)  # GET /{proxy+}: what no other route matches (API Gateway's fallback)
app.register_blueprint(review_steps)
app.register_blueprint(lifecycle_steps)
app.register_blueprint(table_stream)
app.register_blueprint(fulfilment_steps)
app.register_blueprint(intake_steps)
app.register_blueprint(einvoice_steps)
app.register_blueprint(automation_steps)
