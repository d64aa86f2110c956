"""The ground floor: what every other layer agrees on, importing nothing from the floors above.

settings (how kubewhy is configured), tool (the one tool contract), diagnosis (the answer document),
evidence (the ledger of tool results an answer cites) and kube (rules about Kubernetes objects).
"""
