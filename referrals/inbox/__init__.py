"""Friendbuy's calls to us: webhooks and the reward validation callback (receive and store, then process in a task)."""
