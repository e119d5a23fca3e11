from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class Ping(APIView):
    """The baseline: the API's authentication, tenant context and permission, then a constant
    answer. What a real endpoint costs beyond it is its queries and serialization."""

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/ping/", Ping.as_view()), path("", include("config.urls"))]
