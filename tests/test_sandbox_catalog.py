"""The fake BigCommerce's catalog answers as products_catalog.v3.yml says: products paged by v3 meta with
id:min, sort and include_fields; a product's reviews filtered by status (1 approved, 0 pending), 204 when
nobody reviewed it, 404 for an unknown product; a review created through the API is checked like the real
one; what the fake does not model is refused, never ignored."""
import pytest

from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.models import FakeStore
from storefront.bigcommerce import BigCommerceInvalid, BigCommerceNotFound


def test_products_are_paged_from_id_min_with_only_the_fields_asked(bc_store, bc_client):
    made = [bc_world.create_product(bc_store.store_hash, name=f"P{n}") for n in range(5)]
    body = bc_client.request("GET", "/v3/catalog/products", params={
        "id:min": made[1]["id"], "limit": 2, "page": 1, "sort": "id", "include_fields": "reviews_count"}).json()
    assert [p["id"] for p in body["data"]] == [made[1]["id"], made[2]["id"]]
    assert set(body["data"][0]) == {"id", "reviews_count"}
    pagination = body["meta"]["pagination"]
    assert (pagination["total"], pagination["total_pages"], pagination["per_page"]) == (4, 2, 2)
    assert bc_client.list_products_after(id_min=made[4]["id"]) == [{"id": made[4]["id"], "reviews_count": 0}]


def test_reviews_count_counts_approved_reviews_and_the_status_filter_holds(bc_store, bc_client):
    mug = bc_world.create_product(bc_store.store_hash, name="Mug")
    approved = bc_world.add_review(bc_store.store_hash, mug["id"], email="a@example.com", status="approved", rating=4)
    pending = bc_world.add_review(bc_store.store_hash, mug["id"], email="p@example.com")
    assert bc_client.list_products_after(id_min=0)[0]["reviews_count"] == 1
    reviews, pages = bc_client.list_approved_reviews(mug["id"], page=1)
    assert [r["id"] for r in reviews] == [approved["id"]] and pages == 1
    assert {"title", "text", "status", "rating", "email", "name", "date_reviewed", "id", "product_id",
            "date_created", "date_modified"} <= set(reviews[0])
    answer = bc_client.request("GET", f"/v3/catalog/products/{mug['id']}/reviews", params={"status": 0}).json()
    assert [r["id"] for r in answer["data"]] == [pending["id"]]
    with pytest.raises(BigCommerceInvalid) as refused:
        bc_client.request("GET", f"/v3/catalog/products/{mug['id']}/reviews", params={"status": "approved"})
    assert refused.value.status == 422


def test_a_product_nobody_reviewed_is_204_and_an_unknown_one_404(bc_store, bc_client):
    mug = bc_world.create_product(bc_store.store_hash, name="Mug")
    assert bc_client.request("GET", f"/v3/catalog/products/{mug['id']}/reviews").status_code == 204
    with pytest.raises(BigCommerceNotFound):
        bc_client.request("GET", "/v3/catalog/products/999999/reviews")
    assert bc_client.list_approved_reviews(999999, page=1) == ([], 0)


def test_a_review_posted_through_the_api_is_checked_like_the_real_one(bc_store, bc_client):
    FakeStore.objects.filter(store_hash=bc_store.store_hash).update(scope="store_v2_products")  # writes need modify
    mug = bc_world.create_product(bc_store.store_hash, name="Mug")
    path = f"/v3/catalog/products/{mug['id']}/reviews"
    with pytest.raises(BigCommerceInvalid) as refused:
        bc_client.request("POST", path, json_body={"title": "Nice", "status": "great", "rating": 9})
    assert refused.value.status == 422 and {"date_reviewed", "status", "rating"} <= set(refused.value.errors)
    made = bc_client.request("POST", path, json_body={
        "title": "Nice", "date_reviewed": "2026-05-01T10:00:00+00:00", "email": "ada@example.com",
        "status": "approved", "rating": 5}).json()["data"]
    assert made["product_id"] == mug["id"] and made["status"] == "approved"


def test_query_parameters_the_fake_does_not_model_are_refused(bc_store, bc_client):
    with pytest.raises(BigCommerceInvalid) as refused:
        bc_client.request("GET", "/v3/catalog/products", params={"keyword": "mug"})
    assert refused.value.status == 400
