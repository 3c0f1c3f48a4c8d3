"""Quality gates: one Great Expectations suite per asset, validated between build and publish."""
