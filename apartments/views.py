from __future__ import annotations

from rest_framework import viewsets

from accounts.permissions import IsPlaceStaff
from apartments.models import Apartment
from apartments.scoping import scope_queryset
from apartments.serializers import ApartmentDetailSerializer, ApartmentSerializer


class ApartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Apartment blocks the signed-in staff member answers for (the street sees all)."""

    permission_classes = [IsPlaceStaff]
    filterset_fields = ["grid", "grid__community", "property_company", "micro_fire_station", "is_active"]
    search_fields = ["code", "name", "address"]
    ordering_fields = ["code", "name"]

    def get_queryset(self):
        qs = Apartment.objects.select_related(
            "grid__community", "property_company", "micro_fire_station", "fire_safety_person"
        ).order_by("code")
        if self.action == "retrieve":
            qs = qs.prefetch_related("rooms")
        return scope_queryset(qs, self.request.user, apartment_path="")

    def get_serializer_class(self):
        return ApartmentDetailSerializer if self.action == "retrieve" else ApartmentSerializer
