"""Engine adapters: the only modules that import chdb or clickhouse_driver.

Import the one you need (``analytics.sink.backends.chdb_backend`` or
``analytics.sink.backends.clickhouse_backend``); importing this package loads neither.
"""
