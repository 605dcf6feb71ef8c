"""The ``ocop`` command: set up, seed, manage people and tokens, serve, run the demo."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from central.catalog import prices_group
from core.cli_errors import CliError
from core.config import Config
from core.errors import DomainError
from core.extensions import db
from inventory.cli import stock_group
from pos import create_app
from pos.cli_help import OcopGroup
from pos.labels import CHAIN_PROBLEMS
from receipts.cli import printer_group
from sync.backup import backup_command, restore_command
from sync.cli import booth_group, check_restore, sync_command


def _fail(err: DomainError):
    db.session.rollback()
    raise CliError(err.message)


def upgrade_database(*, quiet: bool = False) -> None:
    """Create or upgrade the configured database to the newest migration. ``quiet``
    keeps Alembic's English log (one block per database) off the screen: the demo prints
    one Vietnamese line per database instead."""
    import logging

    from flask_migrate import upgrade

    if quiet:
        logging.disable(logging.INFO)  # a threshold that Alembic's fileConfig leaves alone
    try:
        upgrade(directory=current_app.extensions["migrate"].directory)
    finally:
        if quiet:
            logging.disable(logging.NOTSET)


@click.command("init", help="Tạo hoặc nâng cấp cơ sở dữ liệu lên bản mới nhất.")
@with_appcontext
def init_command():
    """Create or upgrade the database to the newest migration."""
    upgrade_database()
    click.echo(f"Cơ sở dữ liệu đã sẵn sàng: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("seed-demo", help="Nạp dữ liệu mẫu Thanh Hóa (chạy lại không sao).")
@click.option("--booth", "booth_code", default=None,
              help="Chỉ nạp tồn kho và nhân viên của quầy này "
                   "(mặc định: OCOP_BOOTH ở vai trò booth).")
@with_appcontext
def seed_demo_command(booth_code: str | None):
    """Load the Thanh Hóa demo data (idempotent)."""
    from pos.demo import seed_demo

    if booth_code is None and current_app.config["OCOP_ROLE"] == "booth":
        booth_code = current_app.config.get("OCOP_BOOTH")
    counts = seed_demo(db.session, booth_code=booth_code,
                       hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    db.session.commit()
    if not counts:
        click.echo("Dữ liệu mẫu đã có sẵn; không thay đổi gì.")
        return
    click.echo("Đã nạp dữ liệu mẫu: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


user_group = AppGroup("user", help="Người dùng.")


@user_group.command("create", help="Tạo người dùng; mật khẩu đọc từ đầu vào chuẩn hoặc "
                                   "được hỏi khi chạy.")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["cashier", "manager", "office", "admin"]),
              help="Vai trò: cashier (thu ngân), manager (quản lý quầy), office (văn phòng), "
                   "admin (quản trị).")
@click.option("--booth", "booth_code", default=None, help="Mã quầy, ví dụ COOP-01.")
@click.option("--full-name", default="", help="Họ và tên, in trên hóa đơn và báo cáo.")
def create_user_command(name: str, role: str, booth_code: str | None, full_name: str):
    """Create a user; the password comes from standard input or a prompt."""
    from core.services import create_user

    if sys.stdin.isatty():
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(db.session, username=name, password=password, role=role,
                           booth_code=booth_code, full_name=full_name,
                           hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    except DomainError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"Đã tạo người dùng {user.username} ({user.role}"
               f"{', ' + user.booth.code if user.booth else ''}).")


token_group = AppGroup("token", help="Mã truy cập API (Bearer).")


@token_group.command("create", help="In mã truy cập mới của người dùng, một mình ở dòng "
                                    "cuối (chỉ hiện một lần).")
@click.argument("name")
@click.option("--label", default="", help="Ghi chú để nhận ra mã, ví dụ tên máy.")
def create_token_command(name: str, label: str):
    """Print a new API token for that user, alone on the last line (shown once)."""
    from core.models import User
    from core.services import create_token

    user = db.session.scalar(select(User).where(User.username == name.strip().lower()))
    if user is None:
        raise CliError(f"Không có người dùng {name}.")
    if not user.active:
        raise CliError(f"Người dùng {name} đã bị khóa.")
    token, plain = create_token(db.session, user=user, label=label)
    db.session.commit()
    click.echo(f"Mã truy cập cho {user.username} (tiền tố {token.prefix}); "
               "chỉ hiện một lần, hãy lưu lại:")
    click.echo(plain)


@token_group.command("revoke", help="Thu hồi mã truy cập theo tiền tố đã hiện khi tạo.")
@click.argument("prefix")
def revoke_token_command(prefix: str):
    """Revoke a token by the prefix shown when it was created."""
    from core.services import revoke_token

    try:
        revoke_token(db.session, prefix=prefix)
    except DomainError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"Đã thu hồi mã {prefix}.")


audit_group = AppGroup("audit", help="Nhật ký kiểm toán.")

@audit_group.command("verify")
@click.option("--booth", "booth_code", default=None, help="Chỉ kiểm tra quầy này.")
@with_appcontext
def audit_verify_command(booth_code: str | None):
    """Check every audit chain; exit 1 naming the first bad entry."""
    from core.models import Booth
    from core.services import audit_chains, check_audit_chain

    booths = {booth.id: booth.code for booth in db.session.scalars(select(Booth))}
    chains = audit_chains(db.session)
    if booth_code:
        wanted = next((i for i, code in booths.items() if code == booth_code.upper()), None)
        if wanted is None:
            raise CliError(f"Không có quầy {booth_code}.")
        chains = [wanted]
    failed = False
    for booth_id in sorted(chains, key=lambda i: (i is not None, booths.get(i, ""))):
        check = check_audit_chain(db.session, booth_id=booth_id)
        name = f"Quầy {booths[booth_id]}" if booth_id is not None else "Văn phòng"
        if check.ok:
            click.echo(f"{name}: {check.entries} mục, chuỗi toàn vẹn.")
            continue
        failed = True
        entry = check.first_bad
        click.echo(f"{name}: mục hỏng đầu tiên là số {entry.seq} (id {entry.id}, "
                   f"{entry.action}, lúc {entry.at.isoformat()}): "
                   f"{CHAIN_PROBLEMS[check.problem]}.", err=True)
    db.session.rollback()
    if failed:
        sys.exit(1)
    if not chains:
        click.echo("Chưa có mục nhật ký nào.")


@click.command("serve", help="Chạy máy chủ của vai trò đã cấu hình (quầy hoặc trung tâm) "
                             "cho sử dụng thật.")
@click.option("--host", default="127.0.0.1", help="Địa chỉ lắng nghe.")
@click.option("--port", default=5000, type=int, help="Cổng lắng nghe.")
@click.option("--threads", default=4, type=int, help="Số luồng phục vụ.")
@with_appcontext
def serve_command(host: str, port: int, threads: int):
    """Serve the configured role with waitress (production server)."""
    from waitress import serve

    app = current_app._get_current_object()
    check_restore(app)
    workers = [w for w in (start_print_worker(app), start_sync_worker(app),
                           start_backup_worker(app)) if w]
    click.echo(f"Phục vụ vai trò {app.config['OCOP_ROLE']} tại http://{host}:{port}/")
    try:
        serve(app, host=host, port=port, threads=threads)
    finally:
        for worker in workers:
            worker.stop()


def start_print_worker(app):
    """A booth prints in the background; central has no printer."""
    if app.config["OCOP_ROLE"] != "booth":
        return None
    from receipts.queue import PrintWorker

    return PrintWorker(app).start()


def start_sync_worker(app):
    """A booth with a central configured pushes and pulls in the background."""
    if app.config["OCOP_ROLE"] != "booth" or not app.config.get("OCOP_CENTRAL_URL"):
        return None
    from sync.client import SyncWorker

    return SyncWorker(app, interval=app.config["OCOP_SYNC_INTERVAL"]).start()


def start_backup_worker(app):
    """A served booth on SQLite backs itself up on a schedule (``OCOP_BACKUP_HOURS``)."""
    if app.config["OCOP_ROLE"] != "booth" or not app.config.get("OCOP_BACKUP_HOURS") \
            or not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return None
    from sync.backup import BackupWorker

    return BackupWorker(app, hours=app.config["OCOP_BACKUP_HOURS"],
                        keep=app.config["OCOP_BACKUP_KEEP"]).start()


# A fictional account, so the demo shows a VietQR code; no money can arrive there.
DEMO_VIETQR = {"OCOP_VIETQR_BIN": "970436", "OCOP_VIETQR_ACCOUNT": "0011001234567",
               "OCOP_VIETQR_NAME": "GIAN HANG OCOP THANH HOA"}


def build_demo_app(folder: Path, *, role: str, booth_code: str, **extra):
    """One demo instance with its own SQLite file, migrated and seeded. Unless a printer
    is configured, the demo booth "prints" its receipts as PDFs into its folder."""
    configured = Config()
    settings = {"OCOP_INSTANCE": str(folder), "OCOP_ROLE": role, "OCOP_BOOTH": booth_code,
                "DATABASE_URL": f"sqlite:///{folder / 'ocop.sqlite3'}"} | extra
    if not configured.OCOP_VIETQR_ACCOUNT:
        settings.update(DEMO_VIETQR)
    if role == "booth" and configured.OCOP_PRINTER in ("", "none"):
        settings["OCOP_PRINTER"] = f"pdf://{folder / 'hoa-don'}"
    app = create_app(Config(**settings))
    from pos.demo import seed_demo

    with app.app_context():
        upgrade_database(quiet=True)
        seed_demo(db.session, booth_code=booth_code if role == "booth" else None,
                  hash_method=app.config["PASSWORD_HASH_METHOD"])
        db.session.commit()
    where = "Văn phòng trung tâm" if role == "central" else f"Quầy {booth_code}"
    click.echo(f"{where}: cơ sở dữ liệu sẵn sàng ({folder / 'ocop.sqlite3'}).")
    return app


def demo_sync_token(central, booth_folder: Path, booth_code: str) -> str:
    """The demo booth's sync credential: kept in its folder, registered at the demo central
    on first use (or again, when central's data was deleted)."""
    from core.errors import Unauthorized
    from sync.credentials import booth_by_code, booth_for_token, register_booth

    path = booth_folder / "sync_token"
    with central.app_context():
        if path.exists():
            try:
                booth_for_token(db.session, path.read_text().strip())
                return path.read_text().strip()
            except Unauthorized:
                db.session.rollback()
        _credential, plain = register_booth(db.session,
                                            booth=booth_by_code(db.session, booth_code))
        db.session.commit()
    booth_folder.mkdir(parents=True, exist_ok=True)
    path.write_text(plain)
    path.chmod(0o600)
    return plain


@click.command("demo", help="Chạy thử một quầy và văn phòng trung tâm trên máy này với dữ "
                            "liệu mẫu Thanh Hóa.")
@click.option("--host", default="127.0.0.1", help="Địa chỉ lắng nghe.")
@click.option("--port", default=5000, type=int, help="Cổng của quầy; trung tâm dùng cổng kế tiếp.")
@click.option("--booth", "booth_code", default="COOP-01", help="Quầy chạy thử, ví dụ SAMSON-A-03.")
@click.option("--no-serve", is_flag=True, help="Chỉ chuẩn bị dữ liệu, không chạy máy chủ.")
@click.pass_context
def demo_command(ctx, host: str, port: int, booth_code: str, no_serve: bool):
    """A booth and the central office on localhost with the Thanh Hóa demo data."""
    from waitress import create_server

    from pos.demo import (
        DEMO_PASSWORD,
        OFFICE_USERNAME,
        booth_codes,
        cashier_username,
        manager_username,
    )

    booth_code = booth_code.upper()
    if booth_code not in booth_codes():
        raise CliError(
            f"Không có quầy {booth_code}. Các quầy: {', '.join(booth_codes())}")
    root = Path(Config().OCOP_INSTANCE) / "demo"
    click.echo(f"Chuẩn bị dữ liệu mẫu trong {root} …")
    central = build_demo_app(root / "central", role="central", booth_code="")
    booth_url, central_url = f"http://{host}:{port}/", f"http://{host}:{port + 1}/"
    booth_folder = root / booth_code.lower()
    booth = build_demo_app(booth_folder, role="booth", booth_code=booth_code,
                           OCOP_CENTRAL_URL=central_url, OCOP_SYNC_INTERVAL=2,
                           OCOP_SYNC_TOKEN=demo_sync_token(central, booth_folder, booth_code))
    click.echo("")
    click.echo(f"Quầy {booth_code}:        {booth_url}")
    click.echo(f"  Thu ngân:   {cashier_username(booth_code)} / {DEMO_PASSWORD}")
    click.echo(f"  Quản lý:    {manager_username(booth_code)} / {DEMO_PASSWORD}")
    click.echo(f"Văn phòng trung tâm: {central_url}")
    click.echo(f"  Văn phòng:  {OFFICE_USERNAME} / {DEMO_PASSWORD}")
    click.echo(f"Hóa đơn in ra: {booth.config['OCOP_PRINTER']}")
    click.echo("Quầy tự đồng bộ với trung tâm vài giây một lần: bán ở quầy, xem ở trung tâm.")
    click.echo("")
    if no_serve:
        return
    check_restore(booth)
    workers = [start_print_worker(booth), start_sync_worker(booth)]
    servers = [create_server(booth, host=host, port=port, threads=4),
               create_server(central, host=host, port=port + 1, threads=4)]
    for server in servers[1:]:
        threading.Thread(target=server.run, daemon=True).start()
    click.echo("Nhấn Ctrl+C để dừng.")
    try:
        servers[0].run()
    except KeyboardInterrupt:
        pass
    finally:
        for worker in workers:
            worker.stop()
        for server in servers:
            server.close()


def _app_factory():
    return create_app()


@click.group(cls=OcopGroup, create_app=_app_factory,
             help="Phần mềm bán hàng gian hàng OCOP: quầy và văn phòng trung tâm trong một "
                  "chương trình.")
def main():
    """OCOP showroom POS: booth and central in one program."""


COMMANDS = (init_command, seed_demo_command, user_group, token_group, serve_command,
            demo_command, printer_group, booth_group, sync_command, stock_group,
            prices_group, backup_command, restore_command, audit_group)
main.add_commands(COMMANDS)


def register_cli(app) -> None:
    """Make the same commands reachable as ``flask --app wsgi ocop …``."""
    group = AppGroup("ocop", help="Phần mềm bán hàng gian hàng OCOP.")
    for command in COMMANDS:
        group.add_command(command)
    app.cli.add_command(group)
