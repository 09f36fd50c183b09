"""The one error the bench reports: a single line saying what to do."""


class BenchError(Exception):
    pass
