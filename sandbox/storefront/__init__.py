"""A fake Stencil storefront for the demo: pages that render the scripts as installed in the BigCommerce
sandbox, a fake Friendbuy SDK, shopper log-in switching and a checkout that places sandbox orders."""
