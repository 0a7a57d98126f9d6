"""Keys for the benchmarks that serve with DEBUG=false, which refuses to start without its own keys
(shijiao/settings.py). For benchmarks only: never use them anywhere else."""

BENCH_KEYS = {
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "PII_ENCRYPTION_KEY": "YmVuY2gtb25seS1mZXJuZXQta2V5LTAxMjM0NTY3ODk=",
    "PII_HASH_KEY": "bench-only-hash-key-0123456789-abcdefghij",
}
