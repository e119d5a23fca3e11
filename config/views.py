from django.db import connection
from django.http import JsonResponse
from django.views import defaults

from core.problems import problem_response


def healthz(request):
    """Liveness for load balancers and docker-compose: the app answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request, exception):
    """Under /api/, a 404 is a problem document like every other API error, never a page."""
    if request.path.startswith("/api/"):
        return problem_response(404, "not_found", "No resource at this address.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return problem_response(
            500, "server_error", "The server failed; quote the request_id to support."
        )
    return defaults.server_error(request)
