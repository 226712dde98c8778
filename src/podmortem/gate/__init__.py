"""`podmortem gate`: after `kubectl apply`, wait until a rollout is Ready, or fail it with the diagnosis.

targets.py names what to wait for (deployment/NAME, statefulset/NAME, daemonset/NAME or a label
selector) and when its rollout is complete, as `kubectl rollout status` judges it; verdict.py
decides, pod by pod, whether a pod is Ready, still coming up, or has failed (crash loop, a
container that cannot start, restarts above the budget); stream.py keeps a list+watch of one
resource; run.py drives the watches against a deadline; diagnosis.py asks the live collector and
the engine why the failing pods fail; report.py and junit.py write the outcome; command.py is the
click command. Nothing here writes to the cluster.
"""
