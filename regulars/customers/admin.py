"""Raw customer data for operators. Consent records are read-only: proof is never edited."""

from django.contrib import admin

from .models import (
    ConsentRecord,
    Customer,
    CustomerGroup,
    CustomerPermission,
    Individual,
    Permission,
    Tag,
)


class OrganisationNameAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name"]


admin.site.register(CustomerGroup, OrganisationNameAdmin)
admin.site.register(Tag, OrganisationNameAdmin)
admin.site.register(Permission, OrganisationNameAdmin)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "organisation",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "mobile",
        "member",
        "email_consent",
        "sms_consent",
        "erased_at",
    ]
    list_filter = ["organisation", "member", "gender", "email_consent", "sms_consent"]
    search_fields = ["external_id", "first_name", "last_name", "email", "mobile"]
    raw_id_fields = ["organisation"]
    filter_horizontal = ["groups", "tags"]
    # Consents change only through record_consent, which keeps the proof.
    readonly_fields = ["email_consent", "sms_consent", "updated_at", "erased_at"]
    show_full_result_count = False  # counting a million rows on every page is slow


@admin.register(CustomerPermission)
class CustomerPermissionAdmin(admin.ModelAdmin):
    list_display = ["customer", "permission", "granted_at"]
    raw_id_fields = ["customer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "permission", "granted", "recorded_at", "source"]
    list_filter = ["organisation", "kind", "granted", "source"]
    raw_id_fields = ["customer"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Individual)
class IndividualAdmin(admin.ModelAdmin):
    list_display = ["external_id", "kind", "customer", "organisation"]
    list_filter = ["organisation", "kind"]
    search_fields = ["external_id"]
    raw_id_fields = ["customer"]
