"""Attribution reports: reads, the daily rollup, charts, Friendbuy's analytics copy, the report pages."""
