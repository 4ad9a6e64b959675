"""The baseline view for the ack benchmark: a bare Django view returning JSON, nothing else."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request, public_id: str):
    return JsonResponse({"status": 200, "message": "Accepted."})
