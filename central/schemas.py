"""Request bodies of central's catalogue and settlement APIs, declared for parsing and
for the OpenAPI document. Their values are checked by ``central.catalog`` and
``central.settlements`` (each with its Vietnamese message and code), so a field here
fixes the shape, documents the type, and keeps every integer within a database column."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, WithJsonSchema

from central.catalog import FIRST_YEAR, MAX_PRICE
from core.input import DbIntegers
from core.money import VAT_RATES

Id = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 1})]
Day = Annotated[Any, WithJsonSchema({"type": "string", "format": "date"})]
Amount = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0})]
Text = Annotated[Any, WithJsonSchema({"type": "string", "maxLength": 500})]


class _Body(DbIntegers):
    model_config = ConfigDict(populate_by_name=True)


def _typed(schema: dict) -> Any:
    return Annotated[Any, WithJsonSchema(schema)]


class _CatalogBody(DbIntegers):
    # An unknown field is refused by name: a typo in a PATCH must not pass silently.
    model_config = ConfigDict(extra="forbid")


class ProducerIn(_CatalogBody):
    name: _typed({"type": "string", "maxLength": 200}) = None
    kind: _typed({"type": "string", "maxLength": 40}) = None
    commune: _typed({"type": "string", "maxLength": 100}) = None
    district: _typed({"type": "string", "maxLength": 100}) = None
    phone: _typed({"type": "string", "maxLength": 30}) = None


class ProductIn(_CatalogBody):
    code: _typed({"type": "string", "maxLength": 30}) = None
    name: _typed({"type": "string", "maxLength": 200}) = None
    producer_id: Id = None
    category: _typed({"type": "string", "maxLength": 40}) = None
    unit: _typed({"type": "string", "maxLength": 30}) = None
    stars: _typed({"type": "integer", "minimum": 3, "maximum": 5}) = None
    certified_year: _typed({"type": "integer", "minimum": FIRST_YEAR}) = None
    vat_rate: _typed({"enum": list(VAT_RATES)}) = None
    active: _typed({"type": "boolean"}) = None
    origin_url: _typed({"type": "string", "maxLength": 300}) = None
    price: _typed({"type": "integer", "minimum": 1, "maximum": MAX_PRICE}) = None


class BarcodeIn(_CatalogBody):
    code: _typed({"type": "string", "maxLength": 20}) = None
    generate: _typed({"type": "boolean"}) = False


class PriceIn(_CatalogBody):
    price: _typed({"type": "integer", "minimum": 1, "maximum": MAX_PRICE}) = None
    effective_from: Day = None
    note: Text = ""


class SettlementIn(_Body):
    producer_id: Id = None
    period_from: Day = Field(default=None, alias="from")
    period_to: Day = Field(default=None, alias="to")


class SettlementPaymentIn(_Body):
    amount: Amount = None
    paid_on: Day = None
    reference: Text = None


class CommissionTermIn(_Body):
    producer_id: Id = None
    product_id: Id = None
    rate_bp: Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0,
                                            "maximum": 10_000})] = None
    effective_from: Day = None
    note: Text = None


class HostTermIn(_Body):
    venue: Text = None
    kind: Annotated[Any, WithJsonSchema({"enum": ["commission", "rent"]})] = None
    rate_bp: Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0,
                                            "maximum": 10_000})] = None
    monthly_rent: Amount = None
    effective_from: Day = None
    note: Text = None


class ProducerReturnIn(_Body):
    producer_id: Id = None
    location: Text = None
    lines: Annotated[Any, WithJsonSchema({"type": "array", "items": {
        "type": "object", "required": ["product_id", "qty"],
        "properties": {"product_id": {"type": "integer", "minimum": 1},
                       "qty": {"type": "integer", "minimum": 1}}}})] = None
    note: Text = None
