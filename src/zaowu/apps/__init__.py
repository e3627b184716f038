"""Application layer: each app is a workflow with a typed input and result
(copywriter, store kit, business plan, office documents, ...)."""
