from __future__ import annotations

from rest_framework import serializers

from apartments.models import Apartment, Room


class RoomSerializer(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "floor", "number", "kind", "capacity", "monthly_rent"]


class ApartmentSerializer(serializers.ModelSerializer):
    grid = serializers.CharField(source="grid.name", read_only=True)
    community = serializers.CharField(source="grid.community.name", read_only=True)
    property_company = serializers.CharField(source="property_company.name", read_only=True)
    micro_fire_station = serializers.CharField(source="micro_fire_station.name", read_only=True, default=None)
    fire_safety_person = serializers.CharField(source="fire_safety_person.display_name", read_only=True, default=None)

    class Meta:
        model = Apartment
        fields = [
            "id",
            "code",
            "name",
            "address",
            "community",
            "grid",
            "latitude",
            "longitude",
            "floors",
            "property_company",
            "micro_fire_station",
            "fire_safety_person",
            "monthly_rent_from",
            "is_active",
        ]


class ApartmentDetailSerializer(ApartmentSerializer):
    rooms = RoomSerializer(many=True, read_only=True)

    class Meta(ApartmentSerializer.Meta):
        fields = [*ApartmentSerializer.Meta.fields, "rooms"]
