"""`podmortem watch`: list+watch pods, diagnose each crash loop once, report incidents (docs/watch.md).

Layers, each a module with one job, lower ones never importing higher ones:
state (what a pod's status says, pure) -> view (the bounded pod view) -> incidents (grouping and
lifecycle, pure, injected clock) -> stream (list+watch with resume, relist and back-off) ->
diagnoser (the engine on the evidence of one pod) -> outputs (events, notify, metrics, lease, http)
-> watcher (ties them) -> command (the CLI).
"""
