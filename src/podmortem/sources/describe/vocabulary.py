"""The keys `kubectl describe pod` writes, and the line shapes that carry them.

kubectl's describe.go in every version since 1.0, plus the few keys OpenShift's `oc describe`
adds: which keys belong to the pod, to a container, to a container state or to a volume,
and the regexes for a `Key: value` line, a `name:` header, labels, annotations, conditions,
tolerations and owners. Data only: it must not import anything from podmortem.
"""

from __future__ import annotations

import re

TOP_KEYS = frozenset({
    "Name", "Namespace", "Priority", "Priority Class Name", "PriorityClassName", "Runtime Class Name",
    "Service Account", "Node", "Start Time", "Labels", "Annotations", "Status", "Termination Grace Period",
    "Reason", "Message", "IP", "IPs", "Controlled By", "Controllers", "Created By", "Replication Controllers",
    "NominatedNodeName", "Nominated Node Name", "Resources", "Init Containers", "Containers",
    "Ephemeral Containers", "Readiness Gates", "Conditions", "Volumes", "QoS Class", "Node-Selectors",
    "Tolerations", "Topology Spread Constraints", "Events", "Image(s)", "Security Policy", "SchedulingGroup",
    "Host IP", "Pod IP", "Pod IPs",
})
# Keys that only ever appear at the top level: seeing one closes any container or volume block.
TOP_ONLY = TOP_KEYS - {"Name", "Reason", "Message", "IP", "Resources"}
CONTAINER_KEYS = frozenset({
    "Container ID", "Image", "Image ID", "Port", "Ports", "Host Port", "Host Ports", "Command", "Args",
    "State", "Last State", "Last Termination State", "Ready", "Restart Count", "Limits", "Requests",
    "Liveness", "Readiness", "Startup", "Environment", "Environment Variables", "Environment Variables from",
    "Mounts", "Devices", "QoS Tier", "SeccompProfile", "LocalhostProfile", "Started",
})
# The keys that open a container block, used to recognise a `name:` line as its header.
CONTAINER_START = frozenset({
    "Container ID", "Image", "Image ID", "Port", "Ports", "Host Port", "Host Ports", "Command", "Args",
    "State", "Last State", "Last Termination State",
})
# kubectl prints these for every container, so seeing one means the spec block was pasted.
SPEC_KEYS = frozenset({"Image", "Port", "Ports", "Host Port", "Host Ports", "Environment",
                        "Environment Variables", "Mounts", "Command", "Args", "Limits", "Requests",
                        "Liveness", "Readiness", "Startup", "Environment Variables from"})
STATUS_KEYS = frozenset({"Container ID", "Image ID", "State", "Last State", "Last Termination State",
                          "Ready", "Restart Count"})
STATE_KEYS = frozenset({"Reason", "Message", "Exit Code", "Signal", "Started", "Finished"})
TERMINATED_ONLY = frozenset({"Exit Code", "Signal", "Finished"})
VOLUME_ATTRS = frozenset({
    "Type", "Name", "SecretName", "ClaimName", "ReadOnly", "Optional", "Medium", "SizeLimit", "Path",
    "HostPathType", "ConfigMapName", "ConfigMapOptional", "DownwardAPI", "TokenExpirationSeconds", "Items",
    "Server", "Driver", "FSType", "VolumeAttributes", "Repository", "Revision", "Reference", "PullPolicy",
    "VolumeID", "PDName", "Partition", "StorageClass", "Volume", "Capacity", "Access Modes", "VolumeMode",
})
VOLUME_KINDS = {
    "configmap": "configMap", "secret": "secret", "persistentvolumeclaim": "persistentVolumeClaim",
    "emptydir": "emptyDir", "hostpath": "hostPath", "projected": "projected", "downwardapi": "downwardAPI",
    "nfs": "nfs", "csi": "csi", "ephemeralvolume": "ephemeral", "gitrepo": "gitRepo", "iscsi": "iscsi",
    "glusterfs": "glusterfs", "rbd": "rbd", "cephfs": "cephfs", "cinder": "cinder", "fc": "fc",
    "flexvolume": "flexVolume", "flocker": "flocker", "azuredisk": "azureDisk", "azurefile": "azureFile",
    "gcepersistentdisk": "gcePersistentDisk", "awselasticblockstore": "awsElasticBlockStore",
    "image": "image", "quobyte": "quobyte", "portworxvolume": "portworxVolume", "scaleio": "scaleIO",
    "storageos": "storageos", "photonpersistentdisk": "photonPersistentDisk", "vspherevolume": "vsphereVolume",
}
TERMINATED_REASONS = frozenset({"OOMKilled", "Error", "Completed", "StartError", "ContainerCannotRun",
                                 "ContainerStatusUnknown", "DeadlineExceeded"})

KEY = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9 ()/._-]{0,60}?):(?:[ \t]+(?P<value>.*?))?[ \t]*$")
DNS_NAME = re.compile(r"^(?P<name>[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?):[ \t]*$")
LABEL = re.compile(r"^[A-Za-z0-9][\w./-]*=\S*$")
ANNOTATION = re.compile(r"^(?P<key>[A-Za-z0-9][\w./-]*)(?::[ \t]+|:$|=)(?P<value>.*)$")
TOLERATION = re.compile(r"(?:\bop=|:(?:NoSchedule|NoExecute|PreferNoSchedule)\b|\bwhen max skew\b)")
CONDITION = re.compile(r"^(?P<type>[A-Za-z][\w./-]*)[ \t]+(?P<status>True|False|Unknown|<none>)$")
OWNER = re.compile(r"^(?P<kind>[A-Za-z][\w.-]*)/(?P<name>\S+)")
