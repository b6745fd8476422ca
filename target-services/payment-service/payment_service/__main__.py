from __future__ import annotations

from payment_service import SERVICE_NAME
from payment_service.app import create_app
from svc_common.server import serve

serve(SERVICE_NAME, create_app)
