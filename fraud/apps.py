"""fraud: signals, rules, assessments and the review queue."""
from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class FraudConfig(AppConfig):
    name = "fraud"
    verbose_name = "Fraud controls"

    def ready(self) -> None:
        # Model modules can be imported only once the app registry is ready.
        from .models import BlockListEntry, FraudSettings, RuleSetting
        from .selectors import store_rules_config_forget

        def forget(sender, instance, **kwargs):
            # Assessments read these through a per-store cache (fraud.selectors.store_rules_config).
            store_rules_config_forget(store_id=instance.store_id)

        for model in (BlockListEntry, FraudSettings, RuleSetting):
            post_save.connect(forget, sender=model, dispatch_uid=f"fraud_forget_{model.__name__}")
            post_delete.connect(forget, sender=model, dispatch_uid=f"fraud_forget_del_{model.__name__}")
