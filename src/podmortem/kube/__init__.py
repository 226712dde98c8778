"""Kubernetes vocabulary: what every part of podmortem says the same way Kubernetes and kubectl say it.

times (RFC 3339 as the API writes it), durations (Go's and kubectl's forms), quantity (resource
quantities and byte sizes), labels (label selectors as text), images (reference grammar and image
facts), kubectl (the kubectl command lines podmortem prints, `-n` said one way), yamldocs (YAML
loading with go-yaml's alias budget). The bottom layer: imported by sources, rules, lint, live, gate
and sim alike, importing none of them (tests/layers/test_vocabulary.py keeps a second parser from appearing elsewhere).
"""
