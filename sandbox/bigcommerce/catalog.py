"""Documents of the fake's catalog products and their reviews, as products_catalog.v3.yml answers them.

`reviews_count` and `reviews_rating_sum` count the approved reviews (what the storefront shows); a review's
`date_modified` moves when anything about it changes, its status (approval) included.
"""

from . import state
from .models import FakeProduct, FakeProductReview, FakeStore

REVIEW_STATUSES = ("approved", "disapproved", "pending")


def product_payload(product: FakeProduct) -> dict:
    approved = [r for r in product.reviews.all() if r.status == "approved"]
    return {"id": product.pk, **product.data, "reviews_count": len(approved),
            "reviews_rating_sum": sum(int(r.data.get("rating") or 0) for r in approved)}


def review_payload(review: FakeProductReview) -> dict:
    return {"id": review.pk, "product_id": review.product_id, "status": review.status, **review.data}


def create_product(store: FakeStore, *, name: str, price: str = "10.00", sku: str = "", **fields) -> dict:
    stamp = state.iso(state.now())
    product = FakeProduct.objects.create(store=store, data={
        "name": name, "type": "physical", "sku": sku, "description": "", "weight": 1, "price": state.number(price),
        "categories": [], "is_visible": True, "inventory_level": 0, "availability": "available",
        "date_created": stamp, "date_modified": stamp, **fields,
    })
    return product_payload(product)


def create_review(product: FakeProduct, *, title: str, date_reviewed: str, status: str = "pending", text: str = "",
                  rating: int = 5, email: str = "", name: str = "") -> dict:
    stamp = state.iso(state.now())
    review = FakeProductReview.objects.create(store=product.store, product=product, status=status, data={
        "title": title, "text": text, "rating": rating, "email": email, "name": name,
        "date_reviewed": date_reviewed, "date_created": stamp, "date_modified": stamp,
    })
    return review_payload(review)


def set_review_status(review: FakeProductReview, status: str) -> dict:
    review.status = status
    review.data["date_modified"] = state.iso(state.now())
    review.save(update_fields=["status", "data"])
    return review_payload(review)
