-- 10,000,000 cases, each with an item rating, spread over the 365 days before
-- BASE (Beijing 10:00), the six windows of the Shenyang hall, ten service
-- items, five levels and four channels: the statistics benchmark's data.
-- GENERATE(10000000) and TS(days) are replaced by scripts/bench.sh with the
-- backend's row generator and timestamp arithmetic (the backend's own format).
INSERT INTO service_case (api_client_id, case_number, item_id, window_id, staff_id, region_code, applicant_phone,
    phone_sealed, phone_hash, applicant_name, real_name, accepted_at, completed_at, transactions, bundle_id,
    request_fingerprint, created_at, default_due_at)
SELECT c.api_client_id, 'T-' || n.i, it.id, w.id, NULL, c.region_code, NULL, NULL, NULL, NULL, c.real_name,
    TS(n.i % 365), TS(n.i % 365), 1, NULL, '', TS(n.i % 365), PARKED
FROM GENERATE(10000000) AS n
JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM service_window
      WHERE hall_id = (SELECT hall_id FROM service_window WHERE code = 'W01')) AS w ON w.k = n.i % 6
JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM service_item) AS it ON it.k = n.i % 10
CROSS JOIN (SELECT * FROM service_case ORDER BY id LIMIT 1) AS c;
INSERT INTO rating (case_id, target, level, score, channel, tags, comment, rating_count, catalog_version,
    api_client_id, issuer_client_id, created_at)
SELECT s.id, 'item',
    CASE s.id % 5 WHEN 0 THEN 'very_satisfied' WHEN 1 THEN 'satisfied' WHEN 2 THEN 'basically_satisfied'
        WHEN 3 THEN 'satisfied' ELSE 'dissatisfied' END,
    CASE s.id % 5 WHEN 0 THEN 10 WHEN 1 THEN 8 WHEN 2 THEN 6 WHEN 3 THEN 8 ELSE 3 END,
    CASE s.id % 4 WHEN 0 THEN 'dynamic_qr' WHEN 1 THEN 'window_device' WHEN 2 THEN 'online' ELSE 'sms_link' END,
    '', NULL, 1, 1, NULL, s.api_client_id, s.created_at
FROM service_case s WHERE s.case_number LIKE 'T-%';
