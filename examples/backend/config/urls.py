from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import path, re_path
from django.views.static import serve


def health(_request):
    return JsonResponse({"status": "ok", "version": settings.APP_VERSION, "environment": settings.APP_ENV})


urlpatterns = [
    path("api/v1/health/", health),
    path("admin/", admin.site.urls),
    # The example serves its collected static files itself; a larger app would let the host proxy serve them.
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT}),
]
