from django.apps import AppConfig


class SandboxFriendbuyConfig(AppConfig):
    name = "sandbox.friendbuy"
    label = "sandbox_friendbuy"
    verbose_name = "Sandbox: Friendbuy"
