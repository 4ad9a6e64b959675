"""Django signals fraud sends. `referrals.screening` listens (fraud does not know who acts on them)."""
from django.dispatch import Signal

# Sent with assessment=<Assessment> when a held item is decided later (by staff or the auto-decision),
# never for the rules' first decision, which the caller applies itself from assessment_run's answer.
assessment_decided = Signal()
