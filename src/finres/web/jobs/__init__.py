"""Background jobs: reports, large imports and exports, audit verification (Celery).

See docs/jobs.md. ``registry.job`` declares a kind, ``services.enqueue`` starts one, and the
``Job`` row is the truth about its state, progress and result.
"""
