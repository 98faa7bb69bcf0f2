"""watcloud.expiry: file auto-expiration scanner (see docs/expiry.md)."""
