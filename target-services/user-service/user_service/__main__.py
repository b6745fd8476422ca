from __future__ import annotations

from svc_common.server import serve
from user_service import SERVICE_NAME
from user_service.app import create_app

serve(SERVICE_NAME, create_app)
