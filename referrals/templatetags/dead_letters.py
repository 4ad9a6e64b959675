"""{% dead_letter_banner %}: the admin index's warning about dead letters the user may see."""

from django import template
from django.utils.html import format_html, format_html_join

from referrals.admin.dead_letters import dead_letter_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def dead_letter_banner(context) -> str:
    user = context["request"].user
    visible = [queue for queue in dead_letter_counts() if user.has_perm(queue.view_permission)]
    if not visible:
        return ""
    links = format_html_join(
        "; ", '<a href="{}">{} {}</a>', ((q.url, q.count, q.label.lower()) for q in visible)
    )
    return format_html(
        '<ul class="messagelist"><li class="warning">Dead letters (retries used up, replayable from the '
        "list): {}.</li></ul>",
        links,
    )
