"""Reaching import jobs: only the admin who uploaded the file, in their own school; anything else is a 404."""

from django.shortcuts import get_object_or_404

from accounts.models import ImportJob


def get_import_job_for_admin(request, pk) -> ImportJob:
    # An import's typed passwords and its credentials belong to the admin who uploaded it.
    return get_object_or_404(
        ImportJob.objects.select_related("school"), pk=pk, school_id=request.user.school_id, admin_id=request.user.pk
    )
