"""The merchant's "Connect Friendbuy" form. Stored secrets are never rendered back into it."""
from django import forms

from referrals.friendbuy.services import merchant_id_normalized
from referrals.models import FriendbuyConnection

SECRET_FIELDS = ("api_key", "api_secret", "webhook_secret")


def _secret_input() -> forms.PasswordInput:
    # render_value=False: a re-displayed form (after an error) never carries a secret back to the browser.
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})


class FriendbuyConnectForm(forms.Form):
    merchant_id = forms.CharField(
        label="Merchant ID", max_length=64,
        help_text="A UUID, from Friendbuy's Retailer App → Developer Center → Friendbuy Code.",
    )
    api_key = forms.CharField(label="Merchant API key", required=False, widget=_secret_input(),
                              help_text="From Friendbuy support or your account manager.")
    api_secret = forms.CharField(label="Merchant API secret", required=False, widget=_secret_input(),
                                 help_text="Given to you with the API key; the app checks both with Friendbuy before saving.")
    webhook_secret = forms.CharField(
        label="Webhook Secret Key", required=False, widget=_secret_input(),
        help_text="The Secret Key shown beside the merchant ID; it signs Friendbuy's webhooks and callbacks.",
    )

    def __init__(self, *args, connection: FriendbuyConnection | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connection = connection
        if connection is None:
            for name in SECRET_FIELDS:
                self.fields[name].required = True
            return
        self.fields["merchant_id"].initial = connection.merchant_id
        for name in SECRET_FIELDS:
            stored = getattr(connection, f"{name}_redacted")
            self.fields[name].help_text = f"Stored: {stored}. Leave blank to keep it."

    def clean_merchant_id(self) -> str:
        try:
            return merchant_id_normalized(self.cleaned_data["merchant_id"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class FriendbuyChannelConnectForm(forms.Form):
    """One storefront's own Friendbuy merchant (the others keep the store's). Blank secrets keep the stored
    ones; a storefront connected for the first time needs all three (the service says which is missing)."""

    channel_id = forms.TypedChoiceField(label="Storefront", coerce=int)
    merchant_id = forms.CharField(label="Merchant ID", max_length=64)
    api_key = forms.CharField(label="Merchant API key", required=False, widget=_secret_input())
    api_secret = forms.CharField(label="Merchant API secret", required=False, widget=_secret_input())
    webhook_secret = forms.CharField(label="Webhook Secret Key", required=False, widget=_secret_input())

    def __init__(self, *args, channels: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel_id"].choices = channels

    def clean_merchant_id(self) -> str:
        if not self.cleaned_data["merchant_id"] and not self.fields["merchant_id"].required:
            return ""  # going back to the store's merchant names only the storefront
        try:
            return merchant_id_normalized(self.cleaned_data["merchant_id"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
