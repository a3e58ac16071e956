"""The flow's hot statements, written once as SQL instead of built by the ORM on every call.

Why (bench/README.md, issue 18): the ORM builds, resolves and compiles each query anew on every
call; for a payment that was most of its CPU (its statements sent through psycopg alone cost a
twentieth of the request). So the statements on the buyer's path (a payment's and the ledger's
writes, the payment's reads, the settlement's coupons) go through here; everything else stays on
the ORM.

What stays the ORM's: values are written as the model's fields prepare them (`pre_save` for
`auto_now_add`, `get_db_prep_save`: Decimal, time zones, JSON) and read back through the same
converters the ORM applies (`Read`), so both databases store and return exactly what the ORM
would. The SQL is plain and portable (PostgreSQL and SQLite); what differs between them
(`FOR UPDATE`, `RETURNING`) is asked of Django's feature flags. Model signals are not sent: these
helpers refuse a model that has `pre_save`/`post_save` receivers.

Each statement goes through Django's cursor: it takes part in the caller's `transaction.atomic`,
raises Django's `IntegrityError`, and counts in `CaptureQueriesContext` and the SQL-count tests.
"""

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any, Generic, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)


def placeholders(count: int) -> str:
    """`%s, %s, ...` for an `IN (...)` of `count` values (count >= 1)."""
    return ", ".join(["%s"] * count)


def for_update(of: str | None = None) -> str:
    """` FOR UPDATE` (`OF` that table when the database can) where the database locks rows; ""
    on SQLite, which locks the whole database for a writing transaction (as the ORM's
    `select_for_update` is there)."""
    if connection.get_autocommit():
        # as the ORM's select_for_update: a lock outside a transaction would end at once
        raise TransactionManagementError("row locks need the caller's transaction")
    features = connection.features
    if not features.has_select_for_update:
        return ""
    if of and features.has_select_for_update_of:
        return f" FOR UPDATE OF {connection.ops.quote_name(of)}"
    return " FOR UPDATE"


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run a statement that returns no rows; the number of rows it changed."""
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def prepared(model: type[Model], name: str, value: Any) -> Any:
    """`value` as the model's field `name` (name or attname) writes it to the database."""
    return cast(Field, model._meta.get_field(name)).get_db_prep_save(value, connection)


class Read:
    """A SELECT written once, its columns read as the ORM reads `fields` (one per column: a model
    field, or None for a value taken as the driver gives it, e.g. an id or a count)."""

    def __init__(self, fields: Sequence[Field | None]):
        self.fields = tuple(fields)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        db = _db()
        converters = _converters(db.vendor, self.fields)
        if not converters:
            return rows
        out = []
        for row in rows:
            values = list(row)
            for i, funcs, column in converters:
                for convert in funcs:
                    values[i] = convert(values[i], column, db)
            out.append(tuple(values))
        return out


@cache
def _converters(vendor: str, fields: tuple[Field | None, ...]) -> list[tuple[int, list, Any]]:
    """What the ORM's compiler applies to each column read (SQLCompiler.get_converters), once per
    database vendor: the converters depend on the backend, not on one of its connections."""
    found = []
    for i, field in enumerate(fields):
        if field is None:
            continue
        column = field.get_col(field.model._meta.db_table)
        funcs = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if funcs:
            found.append((i, funcs, column))
    return found


def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of `model` under the table alias `alias`, in the model's field
    order: what `Model.from_db` takes back (`instances`)."""
    return _columns(connection.vendor, model, alias)


@cache
def _columns(vendor: str, model: type[Model], alias: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(_column(f))}" for f in model._meta.concrete_fields)


def model_fields(model: type[Model]) -> list[Field]:
    return list(model._meta.concrete_fields)


def instance(model: type[M], values: Sequence[Any]) -> M:
    """A model instance from its concrete columns' values, as the ORM makes one from a row."""
    return model.from_db(connection.alias, _attnames(model), values)


@cache
def _attnames(model: type[Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


def _column(field: Field) -> str:
    return cast(str, field.column)


def deferred_instance(model: type[M], values: dict[str, Any]) -> M:
    """A model instance holding only `values` (attname -> value), the rest deferred (read if
    asked for), as `.only(...)` gives one."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def insert(obj: M) -> M:
    """Save a new instance with one INSERT (its id back from RETURNING where the database can),
    as `Model.save()` would store it, without signals. Returns `obj`, now saved."""
    model = type(obj)
    params = _values(obj, _insert_fields(model))
    sql = _insert_sql(connection.vendor, model, 1)
    pk = model._meta.pk
    # as Model.save(): a failed write inside an atomic block marks it for rollback, so a caller
    # that catches the error cannot commit the rest without it
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.features.can_return_columns_from_insert:
            value = cursor.fetchone()[0]
        else:
            value = connection.ops.last_insert_id(cursor, model._meta.db_table, _column(pk))
    setattr(obj, pk.attname, value)
    _saved(obj)
    return obj


def insert_many(objs: Iterable[Model]) -> None:
    """New instances of one model in one INSERT (their ids are not read back)."""
    objs = list(objs)
    if not objs:
        return
    model = type(objs[0])
    fields = _insert_fields(model)
    params = [value for obj in objs for value in _values(obj, fields)]
    execute(_insert_sql(connection.vendor, model, len(objs), returning=False), params)
    for obj in objs:
        _saved(obj)


class _NewId:
    def __repr__(self) -> str:
        return "NEW_ID"


NEW_ID: Any = _NewId()
"""A parameter of a statement in `Writes`: the id of the row `Writes` inserts first."""


class Writes(Generic[M]):
    """Writes that go to the database together, in the caller's transaction: the INSERT of one
    new row (`first`), then rows and statements that may name its id (a foreign key to `first`
    on a row inserted here, or `NEW_ID` among a statement's parameters).

    On PostgreSQL they are one statement, data-modifying CTEs (one round trip instead of one
    each; issue 18: a payment's order, lines, coupons and 贝里); elsewhere each runs on its own.
    Either way they all happen or none does (the caller's transaction: refused in autocommit),
    no row count comes back, and `first` comes back saved with its id (unsaved again if they
    fail). As one statement, each write sees the database as it was before the statement, and
    PostgreSQL runs them in no set order (PostgreSQL's rule for data-modifying CTEs). So that
    both ways give the same rows:
    - statements are INSERT, UPDATE or DELETE, with `%s` placeholders and no other `%`;
    - none may read or change a row another of them writes: a statement names the rows it
      changes (`rows`), and a second write of one is refused (PostgreSQL would apply only one of
      two balance moves of an account);
    - rows inserted by different steps get their ids in no set order."""

    def __init__(self, first: M):
        if not first._state.adding or first.pk is not None:
            raise ValueError("Writes starts with a new row")
        self.first = first
        self._steps: list[tuple[str, Any]] = []
        self._changed: set[tuple[str, Any]] = set()
        self._ran = False

    def insert(self, objs: Iterable[Model]) -> None:
        """New rows of one model in one INSERT; their foreign key to `first` is its new id."""
        self._still_open()
        if objs := list(objs):
            self._steps.append(("insert", objs))

    def execute(
        self, sql: str, params: Sequence[Any] = (), *, rows: Iterable[tuple[str, Any]] = ()
    ) -> None:
        """A statement that returns no rows (`NEW_ID` among `params`: the new id). `rows`: the
        (table, id) of each row it changes, which no other statement here may change."""
        self._still_open()
        if sql.lstrip().split(None, 1)[0].upper() not in ("INSERT", "UPDATE", "DELETE"):
            raise ValueError("Writes takes INSERT, UPDATE and DELETE statements")
        if "%" in sql.replace("%s", ""):
            raise ValueError("Writes takes %s placeholders and no other %")
        for row in rows:
            if row in self._changed:
                raise ValueError(f"a second write of {row} in one Writes")
            self._changed.add(row)
        self._steps.append(("execute", (sql, list(params))))

    def run(self) -> M:
        self._still_open()
        if transaction.get_autocommit():
            raise TransactionManagementError("Writes needs the caller's transaction")
        self._ran = True
        try:
            if connection.vendor == "postgresql":
                self._run_as_one()
            else:
                self._run_one_by_one()
        except BaseException:
            self._unsaved()
            raise
        return self.first

    def _still_open(self) -> None:
        if self._ran:
            raise RuntimeError("these writes ran already")

    def _unsaved(self) -> None:
        """`first` and the rows as they were before a run that failed (rolled back)."""
        setattr(self.first, type(self.first)._meta.pk.attname, None)
        self.first._state.adding = True
        for obj in self._inserted():
            obj._state.adding = True
            self._link(obj)  # to `first`, unsaved: no id

    def _inserted(self) -> Iterator[Model]:
        """Every row the steps insert, in their order."""
        for kind, step in self._steps:
            if kind == "insert":
                yield from step

    def _run_one_by_one(self) -> None:
        insert(self.first)
        for obj in self._inserted():
            self._link(obj)
        for kind, step in self._steps:
            if kind == "insert":
                insert_many(step)
            else:
                sql, params = step
                execute(sql, [self.first.pk if p is NEW_ID else p for p in params])

    def _run_as_one(self) -> None:
        model = type(self.first)
        new_id = f"(SELECT {connection.ops.quote_name(_column(model._meta.pk))} FROM w0)"
        parts = [f"w0 AS ({_insert_sql(connection.vendor, model, 1)})"]
        params = _values(self.first, _insert_fields(model))
        for n, (kind, step) in enumerate(self._steps, 1):
            if kind == "insert":
                rows: list[Model] = step
                fields = _insert_fields(type(rows[0]))
                sql = _insert_sql(connection.vendor, type(rows[0]), len(rows), returning=False)
                values = [v for obj in rows for v in self._values_linked(obj, fields)]
            else:
                sql, values = step
            parts.append(f"w{n} AS ({_naming_new_id(sql, values, new_id, params)})")
        with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(parts)} SELECT {new_id}", params)
            value = cursor.fetchone()[0]
        setattr(self.first, model._meta.pk.attname, value)
        _saved(self.first)
        for obj in self._inserted():
            self._link(obj)
            _saved(obj)

    def _points_at_first(self, obj: Model, field: Field) -> bool:
        return bool(
            field.many_to_one
            and field.is_cached(obj)  # type: ignore[attr-defined]
            and field.get_cached_value(obj) is self.first  # type: ignore[attr-defined]
        )

    def _link(self, obj: Model) -> None:
        """`obj`'s foreign keys to `first` given its id, as assigning it does (which keeps it
        as the related object)."""
        for field in _insert_fields(type(obj)):
            if self._points_at_first(obj, field):
                setattr(obj, field.name, self.first)

    def _values_linked(self, obj: Model, fields: list[Field]) -> list[Any]:
        values = _values(obj, fields)
        return [
            NEW_ID if self._points_at_first(obj, f) else v
            for f, v in zip(fields, values, strict=True)
        ]


def _naming_new_id(sql: str, values: list[Any], new_id: str, params: list[Any]) -> str:
    """`sql` with each placeholder whose value is NEW_ID replaced by `new_id`; the other values
    appended to `params`."""
    pieces = sql.split("%s")
    if len(pieces) != len(values) + 1:
        raise ValueError(f"{len(values)} values for {len(pieces) - 1} placeholders")
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        if value is NEW_ID:
            out.append(new_id)
        else:
            out.append("%s")
            params.append(value)
        out.append(piece)
    return "".join(out)


def _values(obj: Model, fields: list[Field]) -> list[Any]:
    """A new instance's values as `Model.save()` writes them (`pre_save`: `auto_now_add`)."""
    db = _db()
    return [f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields]


def _db():
    """The connection itself: `connection` is a proxy that looks it up again at each use (a
    thread-local read; per value, a tenth of a payment's writes, issue 18)."""
    return connections[DEFAULT_DB_ALIAS]


def _saved(obj: Model) -> None:
    obj._state.adding, obj._state.db = False, connection.alias


def _insert_fields(model: type[Model]) -> list[Field]:
    # asked at every insert: a receiver connected later (a test, a plugin) is never skipped
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise TypeError(f"{model.__name__} has save signals: save it through the ORM")
    return _fields_to_insert(model)


@cache
def _fields_to_insert(model: type[Model]) -> list[Field]:
    pk = model._meta.pk
    return [f for f in model._meta.concrete_fields if f is not pk]


@cache
def _insert_sql(vendor: str, model: type[Model], count: int, returning: bool = True) -> str:
    quote = connection.ops.quote_name
    fields = _fields_to_insert(model)
    row = f"({placeholders(len(fields))})"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(_column(f)) for f in fields)})"
        f" VALUES {', '.join([row] * count)}"
    )
    if returning and connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(_column(model._meta.pk))}"
    return sql
