"""MIS connectors; each module registers itself with misync.connectors.base.register."""
