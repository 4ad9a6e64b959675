"""The signal sent when an order event is recorded (rewards, screening and reports listen)."""
from __future__ import annotations

from django.dispatch import Signal

# Sent after commit with sender=OrderEvent, event=<OrderEvent>; rewards and fraud subscribe to it.
order_event_recorded = Signal()
