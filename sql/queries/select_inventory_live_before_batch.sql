-- The live state as it stood before micro-batch {batch_id}: a replayed batch starts from the same rows.
SELECT store_id, sku,
       argMax(on_hand, batch_id)          AS on_hand,
       argMax(last_sale_at, batch_id)     AS last_sale_at,
       argMax(velocity_per_day, batch_id) AS velocity_per_day,
       argMax(last_event_at, batch_id)    AS last_event_at
FROM inventory_live
WHERE batch_id < {batch_id}
GROUP BY store_id, sku
