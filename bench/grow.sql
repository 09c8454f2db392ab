-- 1,000,000 more cases, each with an item rating, copied from the first demo
-- case so every column has the backend's own format, spread over the 30 days
-- before today (≈ 33,000 a day; today holds only what the load submits, as
-- every today is read raw). GENERATE(1000000) and TS(days) are replaced by
-- scripts/bench.sh with the backend's row generator and timestamp arithmetic;
-- PARKED with the far-future due time a case is parked at once the default job
-- is done with it.
INSERT INTO service_case (api_client_id, case_number, item_id, window_id, staff_id, region_code, applicant_phone,
    phone_sealed, phone_hash, applicant_name, real_name, accepted_at, completed_at, transactions, bundle_id,
    request_fingerprint, created_at, default_due_at)
SELECT c.api_client_id, 'G-' || n.i, c.item_id, c.window_id, c.staff_id, c.region_code, c.applicant_phone,
    c.phone_sealed, c.phone_hash, c.applicant_name, c.real_name, TS(n.i % 30), TS(n.i % 30), c.transactions,
    c.bundle_id, '', TS(n.i % 30), PARKED
FROM GENERATE(1000000) AS n, (SELECT * FROM service_case ORDER BY id LIMIT 1) AS c;
INSERT INTO rating (case_id, target, level, score, channel, tags, comment, rating_count, catalog_version,
    api_client_id, issuer_client_id, created_at)
SELECT s.id, 'item', 'satisfied', 8, 'dynamic_qr', '', NULL, 1, 1, NULL, s.api_client_id, s.created_at
FROM service_case s WHERE s.case_number LIKE 'G-%';
