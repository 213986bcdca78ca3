from django.urls import path

from . import programs, reports, till

urlpatterns = [
    path("", till.till, name="loyalty"),
    path("till/<int:basket_id>/", till.basket_page, name="loyalty_basket"),
    path("till/<int:basket_id>/customer/", till.choose_customer, name="loyalty_customer_choose"),
    path("till/<int:basket_id>/scan/", till.scan, name="loyalty_scan"),
    path(
        "till/<int:basket_id>/lines/<int:line_number>/remove/",
        till.remove_line,
        name="loyalty_remove_line",
    ),
    path(
        "till/<int:basket_id>/lines/<int:line_number>/points/",
        till.use_points,
        name="loyalty_use_points",
    ),
    path(
        "till/<int:basket_id>/lines/<int:line_number>/points/cancel/",
        till.cancel_points,
        name="loyalty_cancel_points",
    ),
    path("till/<int:basket_id>/complete/", till.complete, name="loyalty_complete"),
    path("receipts/<int:sale_id>/", till.receipt, name="loyalty_receipt"),
    path("programs/", programs.program_list, name="loyalty_programs"),
    path("programs/<int:program_id>/", programs.program_edit, name="loyalty_program"),
    path("programs/<int:program_id>/items/", programs.item_rule, name="loyalty_item_rule"),
    path(
        "programs/<int:program_id>/periods/<int:period_id>/delete/",
        programs.delete_period,
        name="loyalty_delete_period",
    ),
    path("programs/<int:program_id>/services/", programs.service_rule, name="loyalty_service_rule"),
    path(
        "programs/<int:program_id>/gift-cards/", programs.gift_product, name="loyalty_gift_product"
    ),
    path(
        "programs/<int:program_id>/gift-cards/<int:product_id>/",
        programs.gift_product_edit,
        name="loyalty_gift_product_edit",
    ),
    path("programs/<int:program_id>/redeemed/", reports.redeemed, name="loyalty_redeemed"),
    path("report/", reports.entries, name="loyalty_entries"),
    path("customers/<int:customer_id>/", reports.customer_history, name="loyalty_customer"),
    path("notifications/", programs.templates, name="loyalty_templates"),
]
