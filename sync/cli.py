"""``ocop booth …`` (central: credentials) and ``ocop sync`` (booth: push and pull)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from core.cli_errors import CliError
from core.errors import DomainError
from core.extensions import db

booth_group = AppGroup("booth", help="Quầy và mã đồng bộ của quầy (ở trung tâm).")


def _central_only():
    if current_app.config["OCOP_ROLE"] != "central":
        raise click.ClickException("Lệnh này chạy ở máy chủ trung tâm (OCOP_ROLE=central).")


@booth_group.command("register")
@click.argument("code")
def register_command(code: str):
    """Print a new sync token for the booth, alone on the last line (shown once). An
    earlier token stays valid for 7 days, so the booth can switch without a gap."""
    from sync.credentials import booth_by_code, register_booth

    _central_only()
    try:
        credential, plain = register_booth(db.session, booth=booth_by_code(db.session, code))
    except DomainError as err:
        db.session.rollback()
        raise CliError(err.message) from None
    db.session.commit()
    click.echo(f"Mã đồng bộ của quầy {credential.booth.code} (tiền tố {credential.prefix}); "
               "chỉ hiện một lần, đặt vào OCOP_SYNC_TOKEN của quầy:")
    click.echo(plain)


@booth_group.command("revoke")
@click.argument("code")
@click.option("--prefix", default=None, help="Chỉ thu hồi mã có tiền tố này.")
def revoke_command(code: str, prefix: str | None):
    """Revoke the booth's sync tokens (all, or the one with this prefix)."""
    from sync.credentials import booth_by_code, revoke_credentials

    _central_only()
    try:
        count = revoke_credentials(db.session, booth=booth_by_code(db.session, code),
                                   prefix=prefix)
    except DomainError as err:
        db.session.rollback()
        raise CliError(err.message) from None
    db.session.commit()
    click.echo(f"Đã thu hồi {count} mã đồng bộ của quầy {code.upper()}.")


@booth_group.command("list")
def list_command():
    """Every booth with its last contact, events behind and events to review."""
    from sync.status import booth_health_rows

    _central_only()
    for row in booth_health_rows(db.session):
        flag = "IM LẶNG" if row["silent"] else "ổn"
        click.echo(f"{row['booth']:<12} {flag:<8} liên lạc: {row['last_contact_at'] or 'chưa'}"
                   f"  chờ: {row['events_behind']}  cần xem: {row['needs_review']}")
        if row["audit_alert"]:
            click.echo(f"{'':<12} CẢNH BÁO nhật ký kiểm toán: {row['audit_alert']}")


@click.command("sync")
@click.option("--once", is_flag=True, help="Đồng bộ đến khi xong rồi thoát.")
@click.option("--interval", default=5.0, type=float, help="Giây giữa hai lần đồng bộ.")
@with_appcontext
def sync_command(once: bool, interval: float):
    """Push the outbox and pull the catalogue and transfers (booth)."""
    from pos.context import booth_by_code
    from sync.client import CentralClient, SyncError, SyncWorker
    from sync.outbox import pending_summary

    app = current_app._get_current_object()
    if app.config["OCOP_ROLE"] != "booth":
        raise CliError("Lệnh này chạy ở quầy (OCOP_ROLE=booth).")
    check_restore(app)
    try:
        client = CentralClient(app)
    except SyncError as err:
        raise CliError(str(err)) from None
    if not once:
        click.echo(f"Đồng bộ với {client.base} mỗi {interval:g} giây; Ctrl+C để dừng.")
        worker = SyncWorker(app, interval=interval).start()
        try:
            worker.join()
        except KeyboardInterrupt:
            worker.stop()
        return
    pending = pending_summary(db.session, booth_by_code(app.config["OCOP_BOOTH"]))[0]
    db.session.rollback()
    try:
        with click.progressbar(length=pending, label="Gửi sự kiện",
                               show_pos=True) as bar:
            report = client.sync_once(progress=bar.update)
    except SyncError as err:
        raise CliError(str(err)) from None
    finally:
        client.close()
    click.echo(f"Đã gửi {report.pushed} sự kiện, khôi phục {report.recovered}, nhận "
               f"{report.pulled_products} sản phẩm và {report.pulled_transfers} phiếu chuyển; "
               f"còn chờ {report.pending}.")


def check_restore(app) -> None:
    """At start-up: a database behind its own watermark was restored from a copy, and
    opens a new epoch before it sells again."""
    from pos.context import booth_by_code
    from sync.models import SyncState
    from sync.outbox import detect_restore

    if app.config["OCOP_ROLE"] != "booth" or not app.config.get("OCOP_BOOTH"):
        return
    with app.app_context():
        booth = booth_by_code(app.config["OCOP_BOOTH"])
        if db.session.scalar(select(SyncState.booth_id).where(
                SyncState.booth_id == booth.id)) is None:
            db.session.rollback()
            return
        state = detect_restore(db.session, booth=booth, instance_path=app.instance_path)
        if state is not None:
            app.logger.warning("database restored from an older copy: epoch %s",
                               state.epoch_no)
            click.echo(f"Cơ sở dữ liệu đã được khôi phục từ bản cũ: mở kỳ đồng bộ mới "
                       f"số {state.epoch_no}; số hóa đơn tiếp tục sau {state.sale_seq_floor}.")
        db.session.commit()
