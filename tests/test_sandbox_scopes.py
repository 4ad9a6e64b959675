"""The fake BigCommerce refuses what the real one refuses for a token's OAuth scopes: a resource without
its scope is 403, a write with only the read-only twin is 403; the Scripts API's checkout rules (scope for
`all_pages`/`checkout`, an SRI hash for any checkout-page script) hold; and the README lists exactly the
scopes the app requests, each with its reason."""
import re
from pathlib import Path

import pytest

from sandbox.bigcommerce.models import FakeStore
from storefront.bigcommerce import BigCommerceAuthError, BigCommerceInvalid, BigCommerceNotFound
from storefront.scopes import APP_SCOPES, OPTIONAL_SCOPES, app_scope_string, scopes_missing

README = Path(__file__).resolve().parent.parent / "README.md"
SRI = "sha384-DgtwqxoPLKnJSER+TUmSPIpE6ZbVb2ZZwR241HHiqJipLiZQPN/JkKX5xxrEHUTt"


def grant(store, scope: str) -> None:
    FakeStore.objects.filter(store_hash=store.store_hash).update(scope=scope)


def script(**fields) -> dict:
    return {"name": "x", "kind": "src", "src": "https://cdn.example.test/x.js", "location": "footer",
            "visibility": "storefront", **fields}


def test_a_resource_without_its_scope_is_403(bc_store, bc_client):
    grant(bc_store, "store_v2_content")
    with pytest.raises(BigCommerceAuthError) as refused:
        list(bc_client.iter_orders())
    assert refused.value.status == 403
    with pytest.raises(BigCommerceAuthError):
        bc_client.get_customer(1)
    assert bc_client.list_scripts() == []


def test_customer_groups_and_subscribers_need_the_customers_scope(bc_store, bc_client):
    grant(bc_store, "store_v2_content")
    with pytest.raises(BigCommerceAuthError) as refused:
        list(bc_client.iter_customer_groups())
    assert refused.value.status == 403
    with pytest.raises(BigCommerceAuthError):
        bc_client.get_subscriber(1)
    grant(bc_store, "store_v2_customers_read_only")
    assert list(bc_client.iter_customer_groups()) == []


def test_products_and_reviews_need_the_products_scope(bc_store, bc_client):
    grant(bc_store, "store_v2_customers")
    with pytest.raises(BigCommerceAuthError) as refused:
        bc_client.list_products_after(id_min=0)
    assert refused.value.status == 403
    with pytest.raises(BigCommerceAuthError):
        bc_client.list_approved_reviews(1, page=1)
    grant(bc_store, "store_v2_products_read_only")
    assert bc_client.list_products_after(id_min=0) == []
    with pytest.raises(BigCommerceAuthError):  # a review is written with the modify scope only
        bc_client.request("POST", "/v3/catalog/products/1/reviews", json_body={"title": "x", "date_reviewed": "x"})


def test_a_read_only_scope_reads_but_does_not_write(bc_store, bc_client):
    grant(bc_store, "store_v2_content_read_only")
    assert bc_client.list_scripts() == []
    with pytest.raises(BigCommerceAuthError):
        bc_client.create_script(**script())


def test_refunds_are_readable_with_either_orders_or_transactions_scope(bc_store, bc_client):
    for scope in ("store_v2_orders_read_only", "store_v2_transactions_read_only"):
        grant(bc_store, scope)
        with pytest.raises(BigCommerceNotFound):  # past the scope check: the order is unknown
            bc_client.list_order_refunds(100)
    grant(bc_store, "store_v2_customers_read_only")
    with pytest.raises(BigCommerceAuthError):
        bc_client.list_order_refunds(100)


@pytest.mark.parametrize("visibility", ["all_pages", "checkout"])
def test_checkout_visibility_without_the_checkout_content_scope_is_403(bc_store, bc_client, visibility):
    grant(bc_store, app_scope_string())
    with pytest.raises(BigCommerceAuthError) as refused:
        bc_client.create_script(**script(visibility=visibility, integrity_hashes=[SRI]))
    assert refused.value.status == 403
    made = bc_client.create_script(**script())
    with pytest.raises(BigCommerceAuthError):
        bc_client.update_script(made["uuid"], visibility=visibility, integrity_hashes=[SRI])


@pytest.mark.parametrize("visibility", ["all_pages", "checkout"])
def test_checkout_page_scripts_without_an_integrity_hash_are_422(bc_store, bc_client, visibility):
    grant(bc_store, f"{app_scope_string()} store_content_checkout")
    with pytest.raises(BigCommerceInvalid) as refused:
        bc_client.create_script(**script(visibility=visibility))
    assert refused.value.status == 422 and "integrity_hashes" in refused.value.errors
    with pytest.raises(BigCommerceInvalid):
        bc_client.create_script(name="y", kind="script_tag", html="<script>1</script>", visibility=visibility)
    assert bc_client.create_script(**script(visibility=visibility, integrity_hashes=[SRI]))["uuid"]


def test_integrity_hashes_must_be_sri_strings(bc_store, bc_client):
    with pytest.raises(BigCommerceInvalid):
        bc_client.create_script(**script(integrity_hashes=["md5-abc"]))


def test_the_readme_lists_exactly_the_requested_scopes_each_with_why():
    text = README.read_text()
    section = text[text.index("### OAuth scopes"):]
    section = section[: section.index("\n## ", 1) if "\n## " in section else len(section)]
    listed = re.findall(r"^\| `([a-z0-9_]+)` \| (.+?) \|$", section, flags=re.M)
    assert [name for name, _why in listed] == [*APP_SCOPES, *OPTIONAL_SCOPES]
    assert all(len(why.strip()) > 20 for _name, why in listed)
    assert "store_content_checkout" in section  # says why it is not requested


def test_a_modify_scope_covers_its_read_only_twin():
    granted = app_scope_string().replace("store_v2_orders_read_only", "store_v2_orders")
    assert scopes_missing(granted=granted) == []
    assert scopes_missing(granted="store_v2_content") == [s for s in APP_SCOPES if s != "store_v2_content"]
