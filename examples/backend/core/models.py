from django.db import models


class Tenant(models.Model):
    name = models.CharField(max_length=100, unique=True)


class Item(models.Model):
    """Scoped by tenant: every query is expected to filter on it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="item_unique_per_tenant")]
