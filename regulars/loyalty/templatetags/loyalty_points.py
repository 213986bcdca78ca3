"""`{% customer_points customer as points %}`: balances and recent entries for a page."""

from django import template

from regulars.loyalty.queries import balances_of, history, programs_for

register = template.Library()


@register.simple_tag
def customer_points(customer) -> dict:
    programs = list(programs_for(customer.organisation).order_by("pk"))
    balances = balances_of(customer, programs)
    return {
        "balances": [(p, balances[p.pk]) for p in programs],
        "entries": history(customer, programs)[:10],
    }
