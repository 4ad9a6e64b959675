from django.apps import AppConfig


class SandboxBigCommerceConfig(AppConfig):
    name = "sandbox.bigcommerce"
    label = "sandbox_bigcommerce"
    verbose_name = "Sandbox: BigCommerce"
