"""Raw commerce data for operators. Sale lines and tickets are read-only here: their
copied facts are kept equal by regulars.commerce.actions only."""

from django.contrib import admin

from .models import (
    Booking,
    Event,
    Item,
    ItemGroup,
    Production,
    Sale,
    SaleLine,
    Service,
    Ticket,
    TicketOrder,
    Venue,
)


class OrganisationNameAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name"]


for model in (ItemGroup, Service, Production, Venue):
    admin.site.register(model, OrganisationNameAdmin)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "group", "price_cents", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["number", "name"]


class SaleLineInline(ReadOnlyInline):
    model = SaleLine
    fields = [
        "line_number",
        "item",
        "quantity",
        "unit_price_cents",
        "discount_cents",
        "amount_cents",
    ]


@admin.register(Sale)
class SaleAdmin(admin.ModelAdmin):
    list_display = ["receipt_id", "sold_at", "channel", "customer", "organisation"]
    list_filter = ["organisation", "channel"]
    search_fields = ["receipt_id"]
    raw_id_fields = ["customer"]
    readonly_fields = ["customer", "sold_at", "channel"]
    inlines = [SaleLineInline]
    show_full_result_count = False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["external_id", "service", "start", "status", "customer", "organisation"]
    list_filter = ["organisation", "status"]
    search_fields = ["external_id"]
    raw_id_fields = ["customer"]
    show_full_result_count = False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["external_id", "production", "venue", "start", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["external_id"]


class TicketInline(ReadOnlyInline):
    model = Ticket
    fields = ["event", "quantity", "amount_cents"]


@admin.register(TicketOrder)
class TicketOrderAdmin(admin.ModelAdmin):
    list_display = ["order_id", "ordered_at", "channel", "customer", "organisation"]
    list_filter = ["organisation", "channel"]
    search_fields = ["order_id"]
    raw_id_fields = ["customer"]
    readonly_fields = ["customer", "ordered_at", "channel"]
    inlines = [TicketInline]
    show_full_result_count = False
