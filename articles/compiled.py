"""A reader page's main query, written by the ORM once and run again with new values.

Building and compiling the article page's queryset (its byline, co-author and topic
subqueries, `published()`) cost more than running it: about 1.8 ms of a 8 ms request on
the benchmark's machine (`bench/run.py --profile article`), on every request, for SQL that
is the same each time but for the slug and the time. `CompiledQuery` lets the ORM write
the statement the first time it is needed on a database connection and keeps it: each
later run puts the new values into the kept parameters and turns the rows into model
instances (the columns read back with the converters worked out the first time) with
Django's own iterable (select_related objects and annotations included).

The queryset stays the one definition of what is fetched: the SQL is the ORM's, and
tests/test_compiled.py holds every run equal to the plain queryset's result.

Values are given as `Parameter` placeholders in the queryset the builder returns; each
placeholder's value must appear exactly once among the compiled statement's parameters.
Only filters with plain values belong here (no `__in` lists, whose SQL depends on the
number of values).
"""

import copy
import threading
import weakref

from django.db import DEFAULT_DB_ALIAS, connections


class Parameter:
    """A value left open in a compiled query: a placeholder the ORM prepares like the real
    one (`field.get_db_prep_value`) so that it can be found among the SQL's parameters."""

    def __init__(self, name, field, placeholder):
        self.name = name
        self.field = field
        self.placeholder = placeholder

    def prepared(self, value, connection):
        return self.field.get_db_prep_value(self.field.get_prep_value(value), connection, prepared=True)


class CompiledQuery:
    """`build(**placeholders)` compiled once per database connection, run with new values.

    `build` gets each parameter's placeholder as a keyword argument and returns a
    queryset. `run(**values)` returns its rows (model instances) for the given values.
    """

    def __init__(self, build, *parameters):
        self.build = build
        self.parameters = parameters
        # Per connection wrapper: each thread (and each test's live server) has its own.
        self._compiled = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def run(self, **values):
        connection = connections[DEFAULT_DB_ALIAS]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compile(connection)
            with self._lock:
                self._compiled[connection] = compiled
        queryset, compiler, sql, params, positions, converters = compiled
        params = list(params)
        for parameter in self.parameters:
            params[positions[parameter.name]] = parameter.prepared(values[parameter.name], connection)
        # A fresh queryset and compiler each run, sharing what the first compilation worked
        # out (the select list, where each related object's columns are, the annotations).
        run = queryset._chain()
        bound = copy.copy(compiler)
        bound.as_sql = lambda *args, **kwargs: (sql, tuple(params))
        bound.get_converters = lambda expressions: converters
        run.query.get_compiler = lambda *args, **kwargs: bound
        return list(run)

    def _compile(self, connection):
        placeholders = {parameter.name: parameter.placeholder for parameter in self.parameters}
        queryset = self.build(**placeholders)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        positions = {}
        for parameter in self.parameters:
            marker = parameter.prepared(parameter.placeholder, connection)
            found = [index for index, value in enumerate(params) if value == marker]
            if len(found) != 1:
                raise ValueError(
                    f"The placeholder of {parameter.name!r} is in the compiled query {len(found)} times, "
                    "not once: give it a value no other parameter has."
                )
            positions[parameter.name] = found[0]
        # How each column's value is read back (dates on SQLite, say): the same every run.
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        return queryset, compiler, sql, params, positions, converters


def column_converters(model, names, connection):
    """How to read the columns `names` of `model`'s table back from a cursor's row as the ORM
    does (dates are text on SQLite, say): [(index in `names`, converter, column)], for
    `convert_row`. For statements written as SQL."""
    converters = []
    for index, name in enumerate(names):
        field = model._meta.get_field(name)
        column = field.get_col(model._meta.db_table)
        for converter in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
            converters.append((index, converter, column))
    return converters


def convert_row(values, converters, connection):
    """`values` (a list, changed in place) read back with `column_converters`."""
    for index, converter, column in converters:
        values[index] = converter(values[index], column, connection)
    return values
