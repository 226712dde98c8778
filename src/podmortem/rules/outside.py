"""Why an application-level fix lies outside the pod spec: the `outside_spec` reasons of app remedies.

A remedy without a patch says why no change to the workload's spec fixes it (docs/json.md,
docs/remedies.md); these are the reasons the app rules share.
"""

from __future__ import annotations

APP_CODE = ("the bug is in the application's code or in the input it is given: no pod-spec field fixes it "
            "(a rollback to a good image only avoids it)")
CONFIG_CONTENT = ("the configuration's content is the application's: fix it where it lives (the ConfigMap, "
                  "Secret or image that holds the file)")
DEPENDENCY = ("the dependency (its workload, Service, DNS name or network path) is another object than this "
              "pod's spec")
FILE_SOURCE = ("the file's content must come from the image or from a ConfigMap or Secret that only you can "
               "fill")
IMAGE_CONTENT = "the module must be installed in the image: a rebuild, not a change of the pod spec"
LISTEN_SETTING = ("which port each program listens on is its own setting (args, env or a config file) and the "
                  "evidence does not show where it is set")
ONE_SHOT = ("what the container runs is the image's entrypoint or the app's own; work meant to run once belongs "
            "in a Job, another object than this workload")

__all__ = ["APP_CODE", "CONFIG_CONTENT", "DEPENDENCY", "FILE_SOURCE", "IMAGE_CONTENT", "LISTEN_SETTING", "ONE_SHOT"]
