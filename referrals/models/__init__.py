"""The referrals app's models, one module per domain, re-exported here so Django and importers find them as
`referrals.models` (the app label stays `referrals`; no table or migration changed in the split)."""
from .attribution import *  # noqa: F403
from .connection import *  # noqa: F403
from .credit import *  # noqa: F403
from .customer_history import *  # noqa: F403
from .earning import *  # noqa: F403
from .inbox import *  # noqa: F403
from .loyalty_events import *  # noqa: F403
from .merchant_audit import *  # noqa: F403
from .orders import *  # noqa: F403
from .outbox import *  # noqa: F403
from .privacy import *  # noqa: F403
from .reporting import *  # noqa: F403
from .rewards import *  # noqa: F403
from .settings import *  # noqa: F403
from .staff import *  # noqa: F403
from .support_access import *  # noqa: F403
