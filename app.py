"""The B2B ordering platform's Chalice app: a table of contents of its blueprints."""
from chalice import Chalice

from chalicelib.api.admin import admin_api
from chalicelib.api.admin_automation import admin_automation_api
from chalicelib.api.admin_fulfilment import admin_fulfilment_api
from chalicelib.api.admin_operations import admin_operations_api
from chalicelib.api.admin_orders import admin_orders_api
from chalicelib.api.auth import auth_api
from chalicelib.api.http import reshape_framework_errors
from chalicelib.api.payments import payments_api
from chalicelib.api.portal import portal_api
from chalicelib.api.security import security
from chalicelib.web.kit import web
from chalicelib.web.portal.catalogue import web_catalogue
from chalicelib.web.signin import web_signin
from chalicelib.web.staff.review import web_agent
from chalicelib.web.documents import web_documents
from chalicelib.web.staff.operations import web_operations
from chalicelib.web.staff.automation import web_automation
from chalicelib.web.portal.register import web_register
from chalicelib.web.portal.orders import web_orders
from chalicelib.web.portal.proposals import web_proposals
from chalicelib.config import require_deployable
from chalicelib.steps.automation import automation_steps
from chalicelib.steps.fulfilment import fulfilment_steps
from chalicelib.steps.review import review_steps
from chalicelib.steps.stream import table_stream

require_deployable()  # a deployed stage without its secrets, real adapters or legal data refuses to start

app = Chalice(app_name="b2b-portal")
app.register_middleware(reshape_framework_errors, "http")
app.register_blueprint(security)
app.register_blueprint(auth_api)
app.register_blueprint(admin_api)
app.register_blueprint(admin_orders_api)
app.register_blueprint(admin_operations_api)
app.register_blueprint(admin_fulfilment_api)
app.register_blueprint(admin_automation_api)
app.register_blueprint(payments_api)
app.register_blueprint(portal_api)
app.register_blueprint(web)  # the web kit: the current request for every page
app.register_blueprint(web_signin)
app.register_blueprint(web_catalogue)
app.register_blueprint(web_orders)
app.register_blueprint(web_agent)
app.register_blueprint(web_operations)
app.register_blueprint(web_automation)
app.register_blueprint(web_register)
app.register_blueprint(web_documents)
app.register_blueprint(web_proposals)
app.register_blueprint(review_steps)
app.register_blueprint(table_stream)
app.register_blueprint(fulfilment_steps)
app.register_blueprint(automation_steps)
