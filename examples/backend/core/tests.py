from django.db import IntegrityError
from django.test import Client, TestCase

from .models import Item, Tenant


class TenantScopingTests(TestCase):
    def test_items_belong_to_one_tenant_and_names_are_unique_per_tenant(self):
        acme, globex = Tenant.objects.create(name="acme"), Tenant.objects.create(name="globex")
        Item.objects.create(tenant=acme, name="ribeye")
        Item.objects.create(tenant=globex, name="ribeye")
        self.assertEqual(list(acme.items.values_list("name", flat=True)), ["ribeye"])
        with self.assertRaises(IntegrityError):
            Item.objects.create(tenant=acme, name="ribeye")


class HealthTests(TestCase):
    def test_health_reports_ok_and_the_version(self):
        response = Client().get("/api/v1/health/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["status"], "ok")
