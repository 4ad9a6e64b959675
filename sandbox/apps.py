"""sandbox: stateful fakes of the BigCommerce and Friendbuy APIs for the demo and the tests."""
from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Sandbox (fake BigCommerce and Friendbuy)"
