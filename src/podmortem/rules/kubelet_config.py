"""How kubelets from 1.0 to 1.34 word a missing ConfigMap or Secret, or a missing key in one.

The formats and where they come from (kubernetes/kubernetes):
- env `valueFrom` keys: pkg/kubelet/kubelet.go makeEnvironmentVariables (v1.2-v1.5) printed
  `Couldn't find key %v in ConfigMap %v/%v` (capitalised); the same function in
  pkg/kubelet/kubelet_pods.go (v1.6+) prints `couldn't find key %v in ConfigMap %v/%v`; Secrets alike.
  Before CreateContainerConfigError existed (v1.7) the error surfaced wrapped in a FailedSync event:
  `failed to "StartContainer" for "c" with RunContainerError: "GenerateRunContainerOptions: ..."`.
- `envFrom`: kubelet_pods.go (v1.6+) `couldn't get configMap %v/%v: %v` around the API's not-found.
- the object itself: the API client's `configmaps "x" not found` / `secrets "x" not found` (plural;
  kubelets that GET objects directly, v1.2-v1.9, and the volume plugins before the managers) and the
  cache- and watch-based managers' `configmap "x" not found` / `secret "x" not found` (singular,
  pkg/kubelet/util/manager, v1.10+).
- volume `items`: pkg/volume/configmap/configmap.go makePayload printed the bare
  `references non-existent config key` (v1.3-v1.6, no key named), then `configmap references
  non-existent config key: %s` (v1.7+); pkg/volume/secret/secret.go `references non-existent
  secret key` then `references non-existent secret key: %s`. Kubelets before v1.8 wrapped volume
  errors as `MountVolume.SetUp failed for volume "kubernetes.io/configmap/UID-NAME" (spec.Name:
  "NAME") pod "UID" (UID: "UID") with: ...`.

Pastes damage these: quotes are stripped or turn curly, `\\"` escapes pile up, the message is cut
off (`Error: configmap "x" not`), describe wraps it at the terminal width. The patterns below accept
all of that; a namespace/name pair in the message is the kubelet's own statement of the namespace.
"""

from __future__ import annotations

import functools

from podmortem.lazyre import lazy
from podmortem.rules.wording import Wording

_Q = r"(?:\\*[\"'“”‘’`])?"  # an optional quote: straight, curly, backtick or escaped
# A DNS-1123 subdomain (object names); not one of the words that follow a kind in free text.
_NAME = r"(?!(?:is|was|has|does|did|the|an?|key|keys|object|volume|reference|data|and|or)\b)[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?"

# `configmap "x" not found` in every era, also cut off after `not`, and without quotes.
REF_MISSING = lazy(
    r"\b(?P<kind>(?i:config\s?maps?|secrets?))\s+" + _Q + r"(?P<name>" + _NAME + r")" + _Q
    + r"\s+(?i:not\s+found\b|not(?:\s+f[ound]{0,4})?\s*(?:[\"'\\]*\s*)$)")

# `couldn't find key K in ConfigMap NS/NAME`: either capitalisation, apostrophe lost or curly, quotes
# round the key, and a message cut off or wrapped after the kind (a paste rejoined without the space).
KEY_MISSING = lazy(
    r"(?i:couldn[’'`]?t|could\s+not)\s+find\s+key\s+" + _Q + r"(?P<key>[^\s\"'“”‘’`\\]+)" + _Q
    + r"\s+in\s+(?P<kind>(?i:config\s?map|secret))(?:\s*(?P<ns>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)/(?P<name>"
    + _NAME + r"))?")

# A volume item whose key is absent; the key is named from v1.7 on.
ITEM_KEY_MISSING = lazy(
    r"(?:volume\s+" + _Q + r"(?P<volume>[^\"\\\s]+)" + _Q + r"\s*(?:\(spec\.Name:\s*" + _Q
    + r"(?P<spec_name>[^\"\\\s]+)" + _Q + r"\))?[^\n]{0,300}?:\s*)?"
    r"(?:(?i:configmap|secret)\s+)?(?i:references\s+non-existent)\s+(?P<kind>(?i:config|secret)\s+)?(?i:key)"
    r"(?::\s*" + _Q + r"(?P<key>[^\s\"'\\]+))?")

# Any of the above: the volume family leaves these FailedMount messages to the config rules.
@functools.lru_cache(maxsize=4096)  # every volume rule asks it of every message of a pod
def is_config_message(text: str) -> bool:
    return any(p.search(text) for p in (REF_MISSING, KEY_MISSING, ITEM_KEY_MISSING))

REF_WORDINGS: tuple[Wording, ...] = (
    Wording('configmap "%s" not found', "pkg/kubelet/util/manager (cache/watch-based managers), v1.10-v1.34",
            "singular: the kubelet's object manager"),
    Wording('secret "%s" not found', "pkg/kubelet/util/manager, v1.10-v1.34"),
    Wording('configmaps "%s" not found', "API NotFound via client-go, kubelets v1.2-v1.9 and volume plugins",
            "plural: a direct GET"),
    Wording('secrets "%s" not found', "API NotFound via client-go, v1.0-v1.9"),
    Wording("couldn't get configMap %v/%v: %v", "pkg/kubelet/kubelet_pods.go (envFrom), v1.6-v1.34",
            "names the namespace", 'couldn\'t get configMap demo/app-env: configmap "app-env" not found'),
    Wording('GenerateRunContainerOptions: configmaps \\"%s\\" not found',
            "FailedSync / RunContainerError, pkg/kubelet/kuberuntime, v1.3-v1.6",
            "before CreateContainerConfigError"),
    Wording('MountVolume.SetUp failed for volume "%s" : configmap "%s" not found',
            "pkg/kubelet/volumemanager, v1.8-v1.34"),
    Wording('MountVolume.SetUp failed for volume "%s" (spec.Name: "%s") pod "%s" (UID: "%s") with: %v',
            "pkg/kubelet/volumemanager/reconciler, v1.3-v1.7", "old volume-name form",
            'MountVolume.SetUp failed for volume "kubernetes.io/secret/9f2-tls" (spec.Name: "tls") pod "9f2" '
            '(UID: "9f2") with: secrets "tls" not found'),
    Wording('Error: configmap "%s" not', "any of the above cut off in a paste", "truncated: still the object"),
)

KEY_WORDINGS: tuple[Wording, ...] = (
    Wording("Couldn't find key %v in ConfigMap %v/%v", "pkg/kubelet/kubelet.go makeEnvironmentVariables, v1.2-v1.5"),
    Wording("Couldn't find key %v in Secret %v/%v", "pkg/kubelet/kubelet.go, v1.2-v1.5"),
    Wording("couldn't find key %v in ConfigMap %v/%v", "pkg/kubelet/kubelet_pods.go, v1.6-v1.34",
            "NS/NAME is the namespace"),
    Wording("couldn't find key %v in Secret %v/%v", "pkg/kubelet/kubelet_pods.go, v1.6-v1.34"),
    Wording("references non-existent config key", "pkg/volume/configmap/configmap.go makePayload, v1.3-v1.6",
            "no key named"),
    Wording("configmap references non-existent config key: %s", "pkg/volume/configmap/configmap.go, v1.7-v1.34"),
    Wording("references non-existent secret key: %s", "pkg/volume/secret/secret.go, v1.7-v1.34"),
    Wording('MountVolume.SetUp failed for volume "%s" (spec.Name: "%s") pod "%s" (UID: "%s") with: %v',
            "pkg/kubelet/volumemanager/reconciler, v1.3-v1.7", "old volume-name form",
            'MountVolume.SetUp failed for volume "kubernetes.io/configmap/9f2-cfg" (spec.Name: "cfg") pod "9f2" '
            '(UID: "9f2") with: references non-existent config key'),
)
