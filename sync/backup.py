"""Backups of a booth's SQLite database that can be restored without losing a sale or
reissuing a receipt number.

A plain copy of the database file misses what still sits in the write-ahead log; SQLite's
online backup API copies a consistent snapshot, WAL included, while the booth keeps
selling. Restoring one puts the booth back in time, so it opens a new sync epoch at once:
receipt numbers continue above every number the booth issued (from the watermark kept
beside the database), and the sales made after the backup are read back from central at the
next sync (docs/sync.md).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core.extensions import db
from core.workers import BackgroundWorker

BACKUP_DIR = "backups"
PREFIX = "ocop-"


class BackupError(click.ClickException):
    def show(self, file=None):
        click.echo(f"Lỗi: {self.format_message()}", err=True, file=file)


def database_path(app: Flask) -> Path:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BackupError("Sao lưu bằng lệnh này chỉ dành cho quầy dùng SQLite; máy chủ "
                          "trung tâm dùng công cụ sao lưu của PostgreSQL (pg_dump).")
    return Path(url.database)


def _check(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as err:
        raise BackupError(f"Tệp {path} không phải cơ sở dữ liệu SQLite ({err}).") from None
    if result != "ok":
        raise BackupError(f"Tệp {path} bị hỏng: {result}")
    if not {"sale", "outbox_event", "booth"} <= tables:
        raise BackupError(f"Tệp {path} không phải cơ sở dữ liệu của quầy OCOP.")


def backup_database(app: Flask, dest: Path | None = None, *, keep: int | None = None) -> Path:
    """Copy the live database with SQLite's online backup API and check the copy; keep
    only the newest ``keep`` copies of the backup folder."""
    source = database_path(app)
    folder = Path(app.instance_path) / BACKUP_DIR
    if dest is None:
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / f"{PREFIX}{datetime.now():%Y%m%d-%H%M%S-%f}.sqlite3"
    elif dest.is_dir():
        dest = dest / f"{PREFIX}{datetime.now():%Y%m%d-%H%M%S-%f}.sqlite3"
    if dest.exists():
        raise BackupError(f"Tệp {dest} đã có; chọn tên khác.")
    with sqlite3.connect(source) as src, sqlite3.connect(dest) as out:
        src.execute("PRAGMA busy_timeout = 5000")
        src.backup(out)
    _check(dest)
    if keep and dest.parent == folder:
        copies = sorted(folder.glob(f"{PREFIX}*.sqlite3"))
        for old in copies[:-keep]:
            old.unlink()
    return dest


def restore_database(app: Flask, backup: Path) -> dict:
    """Put a backup in place of the live database (the booth must be stopped), keep the
    replaced database beside it, and open a new sync epoch so nothing is issued twice."""
    from pos.context import booth_by_code
    from sync.outbox import last_seq, read_watermark, start_new_epoch

    if not backup.is_file():
        raise BackupError(f"Không có tệp {backup}.")
    _check(backup)
    live = database_path(app)
    floors = {"epoch_no": 0, "sale_seq": 0}
    mark = read_watermark(app.instance_path) or {}
    floors["epoch_no"] = int(mark.get("epoch_no", 0))
    floors["sale_seq"] = int(mark.get("sale_seq", 0))
    if live.exists():
        with sqlite3.connect(live) as conn:
            row = conn.execute("SELECT max(seq) FROM sale").fetchone()
            floors["sale_seq"] = max(floors["sale_seq"], row[0] or 0)
            state = conn.execute("SELECT max(epoch_no) FROM sync_state").fetchone()
            floors["epoch_no"] = max(floors["epoch_no"], (state[0] or 0) if state else 0)
        kept = live.with_name(f"{live.stem}.before-restore-{datetime.now():%Y%m%d-%H%M%S}"
                              f"{live.suffix}")
        with sqlite3.connect(live) as src, sqlite3.connect(kept) as out:
            src.backup(out)
    with app.app_context():
        db.engine.dispose()
    with sqlite3.connect(backup) as src, sqlite3.connect(live) as out:
        src.backup(out)
    with app.app_context():
        booth = booth_by_code(app.config["OCOP_BOOTH"])
        state = start_new_epoch(db.session, booth=booth, reason="restore",
                                epoch_no_floor=floors["epoch_no"],
                                sale_seq_floor=floors["sale_seq"])
        result = {"epoch_no": state.epoch_no, "sale_seq_floor": state.sale_seq_floor,
                  "seq": last_seq(db.session, booth, state.epoch)}
        db.session.commit()
    return result


@click.command("backup")
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@with_appcontext
def backup_command(dest: Path | None):
    """Back up the booth's database (online, WAL included) and check the copy."""
    app = current_app._get_current_object()
    path = backup_database(app, dest, keep=app.config.get("OCOP_BACKUP_KEEP"))
    click.echo(f"Đã sao lưu vào {path}")


@click.command("restore")
@click.argument("backup", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Không hỏi lại.")
@with_appcontext
def restore_command(backup: Path, yes: bool):
    """Restore a backup (stop the booth first); a new sync epoch starts at once."""
    from core.models import Booth

    app = current_app._get_current_object()
    if app.config["OCOP_ROLE"] != "booth":
        raise BackupError("Lệnh này chạy ở quầy (OCOP_ROLE=booth).")
    if db.session.scalar(select(Booth.id).where(Booth.code == app.config["OCOP_BOOTH"])) \
            is None:
        raise BackupError("Chưa cấu hình quầy (OCOP_BOOTH).")
    db.session.rollback()
    if not yes:
        click.confirm("Khôi phục sẽ thay cơ sở dữ liệu hiện tại (bản hiện tại được giữ "
                      "lại bên cạnh). Quầy đã dừng chưa? Tiếp tục?", abort=True)
    result = restore_database(app, backup)
    click.echo(f"Đã khôi phục {backup}. Kỳ đồng bộ mới số {result['epoch_no']}; số hóa đơn "
               f"tiếp theo lớn hơn {result['sale_seq_floor']}. Lần đồng bộ tới sẽ lấy lại "
               "từ trung tâm các giao dịch sau bản sao lưu.")


class BackupWorker(BackgroundWorker):
    """A served booth backs itself up every ``hours`` hours, keeping ``keep`` copies."""

    name = "backup_worker"

    def __init__(self, app: Flask, *, hours: float, keep: int):
        super().__init__(app, interval=hours * 3600)
        self.keep = keep
        self._due = False  # the first round waits a whole interval

    def run_once(self) -> float:
        if self._due:
            backup_database(self.app, keep=self.keep)
        self._due = True
        return self.interval
