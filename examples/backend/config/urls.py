from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import path, re_path
from django.views.static import serve

# A build made with BROKEN=1 (npm run pipeline -- --break-backend) carries this marker and fails its health check,
# so the deploy's health gate rejects it and rolls back.
BROKEN = (Path(settings.BASE_DIR) / "BROKEN").exists()


def health(_request):
    if BROKEN:
        return JsonResponse({"status": "broken", "version": settings.APP_VERSION}, status=503)
    return JsonResponse({"status": "ok", "version": settings.APP_VERSION, "environment": settings.APP_ENV})


urlpatterns = [
    path("api/v1/health/", health),
    path("admin/", admin.site.urls),
    # The example serves its collected static files itself; a larger app would let the host proxy serve them.
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT}),
]
