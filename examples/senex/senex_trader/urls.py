from django.db import connection
from django.http import JsonResponse
from django.urls import path


def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "healthy"})
    except Exception as e:  # the check reports, it never raises
        return JsonResponse({"status": "unhealthy", "error": str(e)}, status=500)


urlpatterns = [path("health/", health)]
