-- Store manager: every store, for the store selector.
SELECT store_key, name AS store, region FROM dim_store FINAL ORDER BY region, store
