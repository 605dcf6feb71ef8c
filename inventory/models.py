"""The catalogue (producers, products, barcodes) and the per-booth stock ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pos.extensions import db
from pos.models import _in
from pos.types import UTCDateTime, new_uuid, utcnow

PRODUCER_KINDS = ("company", "cooperative", "household", "other")
CATEGORIES = ("food", "drink", "herbs", "handicraft", "other")
BARCODE_KINDS = ("ean13", "ean8", "upca", "code128", "instore")
MOVE_KINDS = ("receive", "transfer_in", "sale", "refund", "adjust", "count", "expire")


class Producer(db.Model):
    """The OCOP "chủ thể": the cooperative, company or household that makes a product."""

    __tablename__ = "producer"
    __table_args__ = (CheckConstraint(_in("kind", PRODUCER_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_folded: Mapped[str] = mapped_column(String(400), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    commune: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")

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
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    qty: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()


class StockLevel(db.Model):
    """Cached on-hand per booth and product, kept equal to the ledger's sum by
    ``post_move``."""

    __tablename__ = "stock_level"

    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship()
