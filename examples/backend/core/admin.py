from django.contrib import admin

from .models import Item, Tenant

admin.site.register(Tenant)
admin.site.register(Item)
