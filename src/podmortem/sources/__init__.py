"""Evidence sources: pasted text, manifests, logs and API objects turned into the evidence model."""
