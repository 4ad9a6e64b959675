"""Django admin for the referrals app: each module registers one domain's ModelAdmins; importing the package
(Django's autodiscovery does) registers them all. The support pages' admins live with support."""
from referrals.support import admin as support_admin  # noqa: F401

from . import attribution, connection, credit, orders, rewards  # noqa: F401
