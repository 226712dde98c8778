"""Live diagnosis: read a cluster through the Kubernetes API, read-only, with the fewest calls.

client.py connects (kubeconfig contexts, exec plugins, in-cluster service account, TLS) and
retries; collect.py gathers exactly the evidence failing pods need; changes.py names the rollout
revision that started a crash loop; fleet.py groups pods that fail alike; snapshot.py keeps the
evidence as a folder `podmortem explain` reads; command.py holds the `diagnose` and `snapshot`
commands. Nothing here writes to the cluster.
"""
