"""fraud: signals, rules, assessments and the review queue."""
from django.apps import AppConfig


class FraudConfig(AppConfig):
    name = "fraud"
    verbose_name = "Fraud controls"
