"""Benchmark: store credit deposits per second for one worker, against its same-run floor.

One process is one worker: it applies N deposits one after another, each through the ledger
(referrals.rewards.store_credit: the entry, the lease, the recovery check, the read, the intent, the PUT, the
commit) and, separately, N whole credit rewards through reward_issue (the customer lookup as well). The
floor, measured in the same run with the same client and call log, is the BigCommerce calls alone: the
GET of the customer's store credit and the PUT of the new value, nothing else. The ratio deposit/floor
is the app's share; README keeps the figures.

PostgreSQL database BENCH_DATABASE_URL (default bench_credit; dropped and created); the sandbox answers
in-process, or over HTTP from a separate gunicorn with BENCH_SANDBOX_URL.

    .venv/bin/python bench/credit.py [--deposits 300] [--customers 50]
"""

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_credit")

from bench.common import drop_database, make_store, setup_django


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deposits", type=int, default=300)
    parser.add_argument("--customers", type=int, default=50, help="deposits are spread over this many customers")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    setup_django()

    from referrals.models import Reward, StoreCreditEntry
    from referrals.rewards.issue import reward_issue
    from referrals.rewards.store_credit import store_credit_apply, store_credit_entry_open
    from sandbox.bigcommerce import world as bc
    from storefront.clients import bigcommerce_for

    store, _merchant = make_store(connected=False, store_hash="benchcredit")
    customers = [bc.create_customer(store.store_hash, email=f"c{n}@example.com")["id"] for n in range(args.customers)]
    client = bigcommerce_for(store)

    # Floor: the two calls a deposit needs, nothing else.
    started = time.perf_counter()
    for n in range(args.deposits):
        customer_id = customers[n % len(customers)]
        balance = sum(client.get_store_credit(customer_id), Decimal("0"))
        client.set_store_credit(customer_id, [balance + Decimal("1.00")])
    floor_rate = args.deposits / (time.perf_counter() - started)

    # The ledger's deposits (entry + lease + settle + read + intent + PUT + commit).
    started = time.perf_counter()
    for n in range(args.deposits):
        entry = store_credit_entry_open(store=store, bc_customer_id=customers[n % len(customers)], kind="deposit",
                                        amount=Decimal("1.00"), key=f"bench:{n}")
        store_credit_apply(entry_id=entry.pk, client=client)
    deposit_rate = args.deposits / (time.perf_counter() - started)
    applied = StoreCreditEntry.objects.filter(store=store, state="applied").count()

    # Whole credit rewards (the reward row exists, approved): customer check + the deposit + the transition.
    rewards = [Reward.objects.create(store=store, friendbuy_reward_id=f"bench-{n}", recipient="advocate",
                                     reward_type="credit", amount=Decimal("1.00"), unit="USD", currency="USD",
                                     customer_id=str(customers[n % len(customers)]), state=Reward.State.APPROVED)
               for n in range(args.deposits)]
    started = time.perf_counter()
    for reward in rewards:
        reward_issue(reward_id=reward.pk)
    reward_rate = args.deposits / (time.perf_counter() - started)
    issued = Reward.objects.filter(store=store, state=Reward.State.ISSUED).count()

    expected = Decimal(3 * args.deposits)
    total = sum((bc.store_credit(store.store_hash, c) for c in customers), Decimal("0"))
    exact = total == expected and applied == args.deposits and issued == args.deposits
    print(f"floor (GET store credit + PUT, the BigCommerce calls alone): {floor_rate:.1f}/s")
    print(f"ledger deposits: {deposit_rate:.1f}/s = {deposit_rate / floor_rate:.2f} of the floor")
    print(f"credit rewards (customer check + deposit + history): {reward_rate:.1f}/s = "
          f"{reward_rate / floor_rate:.2f} of the floor")
    print(f"balances in BigCommerce {total} (expected {expected}); entries applied {applied}, rewards issued "
          f"{issued}: {'exact' if exact else 'MISMATCH'}")
    if not args.keep:
        drop_database()
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
