"""Subscriptions and the delivery ledger: the database side of daily digests.

Exactly-once posting rests on one rule: a digest is posted only by whoever claimed its row,
unique on (subscription, local date).  Claims are single SQL statements (an INSERT that
the unique constraint arbitrates, or an UPDATE guarded by the row's state), so two scheduler
passes, or two processes on one database, can never both win.  A claim whose claimer died
after posting but before settling is taken over when its lease runs out; the new claimer
then looks for the earlier post in the channel before posting (`bot.digests`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError

from .models import Delivery, Subscription
from .store import MAX_ROW_ID, Store, deliveries, paused_workspaces, row_to, subscriptions, to_iso

# A claim not settled within this long is presumed dead (a crash between claim and post)
# and may be claimed again.  Far longer than any post takes, retries on 429 included.
CLAIM_LEASE = timedelta(minutes=15)


class Ledger:
    """Subscriptions and deliveries, on the store's database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- subscriptions ----------------------------------------------------------------------

    def subscribe(self, **values: Any) -> Subscription:
        """Store a new subscription (fields as in `Subscription`, without id)."""
        row = {
            **values,
            "quiet": int(values["quiet"]),
            "created_at": to_iso(values["created_at"]),
            "window_start": to_iso(values["window_start"]),
            "active": 1,
        }
        with self.store.transaction() as conn:
            new_id = conn.execute(subscriptions.insert().values(**row)).inserted_primary_key[0]
            got = conn.execute(select(subscriptions).where(subscriptions.c.id == new_id)).one()
        return _subscription(got)

    def subscriptions(
        self,
        platform: str | None = None,
        workspace: str | None = None,
        channel: str | None = None,
    ) -> list[Subscription]:
        """Active subscriptions, optionally of one platform / workspace / channel; those of a
        paused workspace (`pause`) are left out."""
        statement = select(subscriptions).where(subscriptions.c.active == 1, _not_paused())
        if platform is not None:
            statement = statement.where(subscriptions.c.platform == platform)
        if workspace is not None:
            statement = statement.where(subscriptions.c.workspace == workspace)
        if channel is not None:
            statement = statement.where(subscriptions.c.channel == channel)
        with self.store.engine.connect() as conn:
            rows = conn.execute(statement.order_by(subscriptions.c.id)).all()
        return [_subscription(r) for r in rows]

    def get(self, subscription_id: int) -> Subscription | None:
        """One subscription by id (active or not)."""
        if not 0 < subscription_id <= MAX_ROW_ID:
            return None
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(subscriptions).where(subscriptions.c.id == subscription_id)
            ).first()
        return _subscription(row) if row else None

    def unsubscribe(self, ids: list[int]) -> int:
        """Deactivate subscriptions (their ledger stays, for the record); return how many."""
        if not ids:
            return 0
        with self.store.transaction() as conn:
            result = conn.execute(
                subscriptions.update()
                .where(subscriptions.c.id.in_(ids), subscriptions.c.active == 1)
                .values(active=0)
            )
        return result.rowcount

    def pause(self, platform: str, workspace: str, reason: str, now: datetime) -> int:
        """Pause every digest of a workspace (the app was uninstalled there, or its token
        revoked) until `resume`; return how many active subscriptions it holds.  Nothing is
        deleted, so a reinstall brings them all back.  Pausing twice keeps the first reason."""
        with self.store.transaction() as conn:
            already = conn.execute(
                select(paused_workspaces.c.reason).where(
                    paused_workspaces.c.platform == platform,
                    paused_workspaces.c.workspace == workspace,
                )
            ).first()
            if already is None:
                conn.execute(
                    paused_workspaces.insert().values(
                        platform=platform, workspace=workspace, reason=reason, paused_at=to_iso(now)
                    )
                )
            return len(
                conn.execute(
                    select(subscriptions.c.id).where(
                        subscriptions.c.platform == platform,
                        subscriptions.c.workspace == workspace,
                        subscriptions.c.active == 1,
                    )
                ).all()
            )

    def resume(self, platform: str, workspace: str) -> bool:
        """Let a paused workspace's digests run again; True if it was paused."""
        with self.store.transaction() as conn:
            result = conn.execute(
                paused_workspaces.delete().where(
                    paused_workspaces.c.platform == platform,
                    paused_workspaces.c.workspace == workspace,
                )
            )
        return bool(result.rowcount)

    def paused(self, platform: str, workspace: str) -> str | None:
        """Why a workspace's digests are paused, or None if they run."""
        with self.store.engine.connect() as conn:
            return conn.execute(
                select(paused_workspaces.c.reason).where(
                    paused_workspaces.c.platform == platform,
                    paused_workspaces.c.workspace == workspace,
                )
            ).scalar()

    # -- deliveries -------------------------------------------------------------------------

    def delivery(self, subscription_id: int, local_date: str) -> Delivery | None:
        """The ledger row of one subscription and local date, if any."""
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(deliveries).where(
                    deliveries.c.subscription_id == subscription_id,
                    deliveries.c.local_date == local_date,
                )
            ).first()
        return _delivery(row) if row else None

    def on_dates(self, local_dates: set[str]) -> dict[tuple[int, str], Delivery]:
        """Every ledger row of these local dates, keyed by (subscription id, date): one query
        for a whole scheduler pass."""
        if not local_dates:
            return {}
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries).where(deliveries.c.local_date.in_(sorted(local_dates)))
            ).all()
        return {(r.subscription_id, r.local_date): _delivery(r) for r in rows}

    def latest(self, subscription_id: int) -> Delivery | None:
        """The most recent ledger row of a subscription."""
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(deliveries)
                .where(deliveries.c.subscription_id == subscription_id)
                .order_by(deliveries.c.local_date.desc())
                .limit(1)
            ).first()
        return _delivery(row) if row else None

    def pending(self, now: datetime) -> list[Delivery]:
        """Claimed or failed rows that may be (re)claimed now or later, soonest first."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries)
                .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                .where(
                    subscriptions.c.active == 1,
                    _not_paused(),
                    deliveries.c.status.in_(("claimed", "failed")),
                    deliveries.c.next_attempt_at.is_not(None),
                )
                .order_by(deliveries.c.next_attempt_at)
            ).all()
        return [_delivery(r) for r in rows]

    def claim(
        self,
        subscription: Subscription,
        local_date: str,
        scheduled_at: datetime,
        now: datetime,
        lease_from: datetime | None = None,
        lease: timedelta = CLAIM_LEASE,
    ) -> Delivery | None:
        """Claim the right to post one digest; None if someone else holds or finished it.

        A new row is inserted; an existing one is taken over only if it failed and its retry
        time has come, or if its claim's lease (`lease`, BRIEFBOT_DIGEST_LEASE_MINUTES in a
        running worker) ran out (the claimer died before settling).
        """
        # The lease runs from when the claim is really made (`lease_from`, the clock), not from
        # the pass's nominal time, which may lie in the past (`run-due --now`, a long pass).
        lease_end = to_iso(max(now, lease_from or now) + lease)
        with self.store.transaction() as conn:
            first = _first_row(subscription, local_date, scheduled_at, now, "claimed", 1)
            if not _insert_once(conn, first | {"next_attempt_at": lease_end}):
                now_iso = to_iso(now)
                taken = conn.execute(
                    deliveries.update()
                    .where(
                        deliveries.c.subscription_id == subscription.id,
                        deliveries.c.local_date == local_date,
                        deliveries.c.status.in_(("claimed", "failed")),
                        deliveries.c.next_attempt_at <= now_iso,
                    )
                    .values(
                        status="claimed",
                        claimed_at=now_iso,
                        attempts=deliveries.c.attempts + 1,
                        next_attempt_at=lease_end,
                    )
                )
                if taken.rowcount != 1:
                    return None
            row = conn.execute(
                select(deliveries).where(
                    deliveries.c.subscription_id == subscription.id,
                    deliveries.c.local_date == local_date,
                )
            ).one()
        return _delivery(row)

    def delivered(
        self, delivery: Delivery, message_id: str, window_end: datetime, now: datetime
    ) -> bool:
        """Settle a claim as posted, and move the subscription's window on.

        False if the claim was no longer ours (its lease ran out and another pass took it).
        """
        with self.store.transaction() as conn:
            settled = conn.execute(
                deliveries.update()
                .where(_still_ours(delivery))
                .values(
                    status="delivered",
                    message_id=message_id,
                    delivered_at=to_iso(now),
                    next_attempt_at=None,
                    error=None,
                )
            )
            if settled.rowcount != 1:
                return False
            conn.execute(
                subscriptions.update()
                .where(subscriptions.c.id == delivery.subscription_id)
                .values(window_start=to_iso(window_end))
            )
        return True

    def failed(self, delivery: Delivery, error: str, retry_at: datetime | None) -> bool:
        """Settle a claim as failed; `retry_at` None means no more attempts."""
        with self.store.transaction() as conn:
            settled = conn.execute(
                deliveries.update()
                .where(_still_ours(delivery))
                .values(
                    status="failed",
                    error=error[:500],
                    next_attempt_at=to_iso(retry_at) if retry_at else None,
                )
            )
        return settled.rowcount == 1

    def missed(
        self, subscription: Subscription, local_date: str, scheduled_at: datetime, now: datetime
    ) -> bool:
        """Record a digest that was due while nobody ran and is now past its grace period."""
        with self.store.transaction() as conn:
            if not _insert_once(
                conn, _first_row(subscription, local_date, scheduled_at, now, "missed", 0)
            ):
                # Already recorded; a failed or stale claim past its grace is missed too.
                conn.execute(
                    deliveries.update()
                    .where(
                        and_(
                            deliveries.c.subscription_id == subscription.id,
                            deliveries.c.local_date == local_date,
                            or_(
                                deliveries.c.status == "failed",
                                and_(
                                    deliveries.c.status == "claimed",
                                    deliveries.c.next_attempt_at <= to_iso(now),
                                ),
                            ),
                        )
                    )
                    .values(status="missed", next_attempt_at=None)
                )
                return False
        return True


def _first_row(
    subscription: Subscription,
    local_date: str,
    scheduled_at: datetime,
    now: datetime,
    status: str,
    attempts: int,
) -> dict[str, Any]:
    return {
        "subscription_id": subscription.id,
        "local_date": local_date,
        "scheduled_at": to_iso(scheduled_at),
        "status": status,
        "claimed_at": to_iso(now),
        "attempts": attempts,
    }


def _insert_once(conn: Connection, row: dict[str, Any]) -> bool:
    """Insert a ledger row unless (subscription, local date) has one; the unique constraint
    decides, inside a savepoint so the surrounding transaction goes on either way."""
    try:
        with conn.begin_nested():
            conn.execute(deliveries.insert().values(**row))
    except IntegrityError:
        return False
    return True


def _still_ours(delivery: Delivery) -> Any:
    """The row is still claimed by this attempt (nobody took it over since)."""
    return and_(
        deliveries.c.id == delivery.id,
        deliveries.c.status == "claimed",
        deliveries.c.attempts == delivery.attempts,
    )


def _not_paused() -> Any:
    """The subscription's workspace is not paused (see `Ledger.pause`)."""
    return ~exists().where(
        paused_workspaces.c.platform == subscriptions.c.platform,
        paused_workspaces.c.workspace == subscriptions.c.workspace,
    )


def _subscription(row: Any) -> Subscription:
    return row_to(
        Subscription, row, times=("created_at", "window_start"), flags=("quiet", "active")
    )


def _delivery(row: Any) -> Delivery:
    return row_to(
        Delivery,
        row,
        times=("scheduled_at", "claimed_at", "next_attempt_at", "delivered_at"),
    )
