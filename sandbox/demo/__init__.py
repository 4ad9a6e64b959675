"""The demo's stories, played through the sandbox exactly as BigCommerce and Friendbuy would (demo and tests only)."""
