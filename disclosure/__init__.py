"""Disclosure audit of the published tables (the attacker's LP bounds of every suppressed cell),
the repair of the suppression pattern, and the blocking check of publish and export.

    python -m disclosure audit [--warehouse PATH]     # judge a warehouse or a published copy
    python -m disclosure repair [--warehouse PATH]    # hide what the audit needs (the pipeline step)
"""
