"""The catalogue (producers, products, barcodes) and the per-booth stock ledger."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import StockMoveKind
from core.extensions import db
from core.models import _in
from core.types import UTCDateTime, new_uuid, utcnow

PRODUCER_KINDS = ("company", "cooperative", "household", "other")
CATEGORIES = ("food", "drink", "herbs", "handicraft", "other")
BARCODE_KINDS = ("ean13", "ean8", "upca", "code128", "instore")
MOVE_KINDS = tuple(kind.value for kind in StockMoveKind)
# Why a manager adjusted stock by hand.
ADJUST_REASONS = ("damage", "loss", "sample", "expired", "found", "other")
TRANSFER_STATUSES = ("shipped", "received", "discrepancy")
RESTOCK_STATUSES = ("requested", "shipped", "cancelled")
STOCKTAKE_STATUSES = ("open", "committed", "cancelled")


class Producer(db.Model):
    """The OCOP "chủ thể": the cooperative, company or household that makes a product."""

    __tablename__ = "producer"
    __table_args__ = (
        CheckConstraint(_in("kind", PRODUCER_KINDS), name="kind"),
        # A producer the sources do not name has an empty name (never a placeholder that
        # would land on receipts): one per district.
        UniqueConstraint("name", "district", name="uq_producer_name_district"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(400), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    commune: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    # The catalogue feed's version of the last change (central assigns it; booths copy it).
    catalog_version: Mapped[int] = mapped_column(BigInteger, default=0, index=True)

    products: Mapped[list[Product]] = relationship(back_populates="producer")


class Product(db.Model):
    """A certified OCOP product with its VAT-inclusive price in đồng."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 3 AND 5", name="stars"),
        CheckConstraint("price >= 0", name="price"),
        CheckConstraint("vat_rate IN (0, 5, 8, 10)", name="vat_rate"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-case, diacritics stripped (đ → d): an index-friendly key for
    # accent-insensitive search.
    name_folded: Mapped[str] = mapped_column(String(400), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(30))
    # 3–5; None where the sources call a product OCOP without stating its rating.
    stars: Mapped[int | None]
    certified_year: Mapped[int | None]
    price: Mapped[int]
    vat_rate: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    # Sold by weight or at a variable price: only such a product takes the price printed
    # in a price-embedded label (within the configured tolerance) without a manager.
    variable_price: Mapped[bool] = mapped_column(default=False, server_default=false())
    origin_url: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The catalogue feed's version of the last change to the product or its barcodes.
    catalog_version: Mapped[int] = mapped_column(BigInteger, default=0, index=True)

    producer: Mapped[Producer] = relationship(back_populates="products")
    barcodes: Mapped[list[Barcode]] = relationship(
        back_populates="product", order_by="Barcode.id", cascade="all, delete-orphan"
    )


class Barcode(db.Model):
    """A code that finds a product at the till; a product may carry several."""

    __tablename__ = "barcode"
    __table_args__ = (CheckConstraint(_in("kind", BARCODE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)

    product: Mapped[Product] = relationship(back_populates="barcodes")


class StockMove(db.Model):
    """One signed change of a booth's stock. Moves are never edited or deleted: a mistake
    is corrected by a compensating move."""

    __tablename__ = "stock_move"
    __table_args__ = (
        CheckConstraint("qty <> 0", name="qty_nonzero"),
        CheckConstraint(_in("kind", MOVE_KINDS), name="kind"),
        Index("ix_stock_move_booth_product", "booth_id", "product_id"),
        # Reconciliation reads a day's adjustments and counts, not its sales.
        Index("ix_stock_move_kind_at", "kind", "at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    qty: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    # For an adjustment: one of ADJUST_REASONS.
    reason: Mapped[str] = mapped_column(String(20), default="", server_default="")
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("stock_lot.id"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()


class StockLevel(db.Model):
    """Cached on-hand per booth and product, kept equal to the ledger's sum by
    ``post_move``."""

    __tablename__ = "stock_level"
    # The stock list sorted by on-hand walks this index a page at a time.
    __table_args__ = (Index("ix_stock_level_booth_on_hand", "booth_id", "on_hand", "product_id"),)

    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    # At or below this the product shows as low and is suggested for restocking.
    reorder_point: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship()


class StockLot(db.Model):
    """A received batch of a perishable product with its expiry date. What is left of
    each lot is not booked per sale (the till never asks for a lot): stock is taken
    first-expiry-first-out, so the newest lots hold what is on hand."""

    __tablename__ = "stock_lot"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        Index("ix_stock_lot_booth_product", "booth_id", "product_id", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    lot_code: Mapped[str] = mapped_column(String(40), default="")
    expires_on: Mapped[date | None] = mapped_column(Date)
    qty: Mapped[int]  # received
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reference: Mapped[str] = mapped_column(String(100), default="")
    written_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()


class Transfer(db.Model):
    """Goods central ships to a booth. Each side asserts only its own physical fact:
    central what it shipped, the booth what it counted on arrival; a difference stays
    visible as ``discrepancy``."""

    __tablename__ = "transfer"
    __table_args__ = (CheckConstraint(_in("status", TRANSFER_STATUSES), name="status"),
                      Index("ix_transfer_booth_version", "booth_id", "version"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    status: Mapped[str] = mapped_column(String(20), default="shipped")
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by: Mapped[str] = mapped_column(String(64), default="")
    # The transfers feed's version of the last change (central assigns it).
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # The booth's restock request this transfer answers, if any.
    request_id: Mapped[str | None] = mapped_column(String(36))

    lines: Mapped[list[TransferLine]] = relationship(
        back_populates="transfer", order_by="TransferLine.position",
        cascade="all, delete-orphan")


class TransferLine(db.Model):
    """One product of a transfer: what was shipped and, once counted, what arrived."""

    __tablename__ = "transfer_line"
    __table_args__ = (
        UniqueConstraint("transfer_id", "product_id", name="uq_transfer_line_product"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("received IS NULL OR received >= 0", name="received"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[str] = mapped_column(ForeignKey("transfer.id"), index=True)
    position: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    qty: Mapped[int]
    received: Mapped[int | None]

    transfer: Mapped[Transfer] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class RestockRequest(db.Model):
    """A booth manager asks central for goods; it travels up with the next sync."""

    __tablename__ = "restock_request"
    __table_args__ = (CheckConstraint(_in("status", RESTOCK_STATUSES), name="status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    note: Mapped[str] = mapped_column(String(300), default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    transfer_id: Mapped[str | None] = mapped_column(String(36))

    lines: Mapped[list[RestockLine]] = relationship(
        back_populates="request", order_by="RestockLine.position", cascade="all, delete-orphan")


class RestockLine(db.Model):
    __tablename__ = "restock_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("restock_request.id"), index=True)
    position: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    qty: Mapped[int]

    request: Mapped[RestockRequest] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class Stocktake(db.Model):
    """A count of the shelves (all of them, or one producer's goods, or a list): counts
    are entered blind, the differences are booked as ``count`` moves when committed."""

    __tablename__ = "stocktake"
    __table_args__ = (CheckConstraint(_in("status", STOCKTAKE_STATUSES), name="status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    scope: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by: Mapped[str] = mapped_column(String(64), default="")
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    committed_by: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(300), default="")

    lines: Mapped[list[StocktakeLine]] = relationship(
        back_populates="stocktake", order_by="StocktakeLine.position",
        cascade="all, delete-orphan")


class StocktakeLine(db.Model):
    __tablename__ = "stocktake_line"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "product_id", name="uq_stocktake_line_product"),
        CheckConstraint("counted IS NULL OR counted >= 0", name="counted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[str] = mapped_column(ForeignKey("stocktake.id"), index=True)
    position: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    counted: Mapped[int | None]
    # What the books said when the count was committed (never shown while counting).
    expected: Mapped[int | None]

    stocktake: Mapped[Stocktake] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class PriceChange(db.Model):
    """A price decided at central, effective from a moment; the history of every
    product's price."""

    __tablename__ = "price_change"
    __table_args__ = (CheckConstraint("price >= 0", name="price"),
                      Index("ix_price_change_due", "applied_at", "effective_from"))

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    old_price: Mapped[int | None]
    price: Mapped[int]
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(300), default="")

    product: Mapped[Product] = relationship()


class ConsignmentIntake(db.Model):
    """Goods a producer leaves with the central warehouse on consignment, at an agreed
    price per unit (paid only for what sells)."""

    __tablename__ = "consignment_intake"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(300), default="")

    producer: Mapped[Producer] = relationship()
    lines: Mapped[list[ConsignmentLine]] = relationship(
        back_populates="intake", order_by="ConsignmentLine.position",
        cascade="all, delete-orphan")


class ConsignmentLine(db.Model):
    __tablename__ = "consignment_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),
                      CheckConstraint("agreed_price >= 0", name="agreed_price"))

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[str] = mapped_column(ForeignKey("consignment_intake.id"), index=True)
    position: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    qty: Mapped[int]
    agreed_price: Mapped[int]
    lot_code: Mapped[str] = mapped_column(String(40), default="")
    expires_on: Mapped[date | None] = mapped_column(Date)

    intake: Mapped[ConsignmentIntake] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
