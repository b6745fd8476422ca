"""`harness validate`: every lint rule (Kubernetes, Istio, Kong, Argo); reads files only."""
