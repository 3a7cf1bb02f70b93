"""Gateway adapters behind one protocol; the workflow never imports a vendor SDK."""
