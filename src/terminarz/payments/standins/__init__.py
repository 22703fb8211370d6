"""Local stand-ins for the payment gateways: the same protocol over real HTTP (demo, tests)."""
